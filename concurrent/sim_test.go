package concurrent

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/clientcache/clientcache/internal/trace"
)

// The simulation harness drives a policy directly, the way the engine does
// from one goroutine: a Go map of nodes, access on a hit, add on a miss, then
// evict while the policy holds more than the maximum.

// simHash spreads a trace key over 64 bits, standing in for the engine's
// key hash.
func simHash(k uint64) uint64 {
	k += 0x9e3779b97f4a7c15
	k = (k ^ k>>30) * 0xbf58476d1ce4e5b9
	k = (k ^ k>>27) * 0x94d049bb133111eb
	return k ^ k>>31
}

// simCache is the harness: a map plus a policy.
type simCache struct {
	p   policy[uint64, struct{}]
	m   map[uint64]*node[uint64, struct{}]
	max int
}

func newSimCache(p policy[uint64, struct{}], max int) *simCache {
	return &simCache{p: p, m: map[uint64]*node[uint64, struct{}]{}, max: max}
}

func (c *simCache) Get(k uint64) bool {
	n, ok := c.m[k]
	if ok {
		c.p.access(n)
	}
	return ok
}

func (c *simCache) Set(k uint64) {
	n := &node[uint64, struct{}]{key: k, hash: simHash(k)}
	c.m[k] = n
	c.p.add(n)
	for c.p.len() > c.max {
		v := c.p.evict()
		delete(c.m, v.key)
	}
}

// simTraceDir returns the shared trace folder or skips the test if it is
// absent (any other error, such as a CLIENTCACHE_TRACES naming no folder,
// fails it).
func simTraceDir(t testing.TB) string {
	t.Helper()
	dir, err := trace.Dir()
	if err != nil && !errors.Is(err, trace.ErrNoTraces) {
		t.Fatal(err)
	}
	if err != nil {
		t.Skipf("skipping: the shared traces are absent (%v); they live in ../shared/traces beside the repository", err)
	}
	return dir
}

func simLoad(t testing.TB, name string) ([]uint64, trace.File) {
	t.Helper()
	dir := simTraceDir(t)
	f, ok := trace.Lookup(name)
	if !ok {
		t.Fatalf("no trace %q", name)
	}
	keys, err := f.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return keys, f
}

// simLoadPrefix loads a trace, cut to its first n requests under -short or
// -race (n = 0: whole). The external tests use it too (LoadTracePrefix).
func simLoadPrefix(t testing.TB, name string, n int) []uint64 {
	t.Helper()
	keys, _ := simLoad(t, name)
	if (testing.Short() || raceEnabled) && n > 0 && n < len(keys) {
		keys = keys[:n]
	}
	return keys
}

func simLFU(keys []uint64, max int) int {
	return trace.Replay(keys, newSimCache(newWTinyLFU[uint64, struct{}](max, 1), max))
}

// TestSimTable prints OPT, LRU and LFU on every trace at every capacity when
// CLIENTCACHE_SIM is set (a development aid; the published table comes from
// bench/ through the public API). CLIENTCACHE_SIM may name traces,
// comma-separated, or be "all".
func TestSimTable(t *testing.T) {
	want := os.Getenv("CLIENTCACHE_SIM")
	if want == "" {
		t.Skip("set CLIENTCACHE_SIM=all (or trace names) to print the policy table")
	}
	if want != "all" {
		simCheckLabels(t, "CLIENTCACHE_SIM", want)
	}
	dir := simTraceDir(t)
	var b strings.Builder
	for _, f := range trace.Files {
		if want != "all" && !strings.Contains(","+want+",", ","+f.Label+",") {
			continue
		}
		keys, err := f.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Capacities {
			opt := trace.Optimal(keys, c)
			lru := trace.Replay(keys, newSimCache(newLRU[uint64, struct{}](), c))
			lfu := trace.Replay(keys, newSimEngineCache(newWTinyLFU[uint64, struct{}](c, 1), c, 1))
			fmt.Fprintf(&b, "%-10s %7d OPT %5.2f LRU %5.2f LFU %5.2f\n", f.Label, c,
				trace.Percent(opt, len(keys)), trace.Percent(lru, len(keys)), trace.Percent(lfu, len(keys)))
		}
	}
	t.Log("\n" + b.String())
}

// simVariant is a column of TestSimAblations: the policy with the
// ablations off switched on.
type simVariant struct {
	name string
	off  wtAblation
}

// simVariants are TestSimAblations' columns: the policy as shipped, then
// each ablation.
var simVariants = []simVariant{
	{"shipped", wtAblation{}},
	{"lazy", wtAblation{lazySketch: true}},
	{"firstage", wtAblation{firstContest: wtFirstAge}},
	{"firstclear", wtAblation{firstContest: wtFirstClear}},
	{"firstage5", wtAblation{firstContest: wtFirstAge, firstContestHits: 5}},
	{"firstage10", wtAblation{firstContest: wtFirstAge, firstContestHits: 10}},
	{"firstage20", wtAblation{firstContest: wtFirstAge, firstContestHits: 20}},
	{"firstclear10", wtAblation{firstContest: wtFirstClear, firstContestHits: 10}},
	{"nofillage", wtAblation{noFillAge: true}},
	{"fillclear", wtAblation{fillClear: true}},
	{"fillghost1", wtAblation{fillGhost: 1}},
	{"fillghost3", wtAblation{fillGhost: 3}},
	{"fillghost5", wtAblation{fillGhost: 5}},
	{"fillghost10", wtAblation{fillGhost: 10}},
	{"fillwin100", wtAblation{fillWindow: 100}},
	{"fillwin400", wtAblation{fillWindow: 400}},
	{"fillhits5", wtAblation{fillHits: 5}},
	{"fillhits20", wtAblation{fillHits: 20}},
	{"fillhits50", wtAblation{fillHits: 50}},
	{"ga2", wtAblation{ghostAge: 2}},
	{"ga5", wtAblation{ghostAge: 5}},
	{"ga10", wtAblation{ghostAge: 10}},
	{"ga20", wtAblation{ghostAge: 20}},
	{"ga5c4", wtAblation{ghostAge: 5, ghostAgeCool: 4}},
	{"growneeded", wtAblation{growNeeded: 1}},
	{"growneededfirst", wtAblation{growNeeded: 2}},
	{"growneededbig", wtAblation{growNeeded: 3}},
	{"gnb32", wtAblation{growNeeded: 3, growNeededCap: 32}},
	{"gnf", wtAblation{growNeeded: 4}},
	{"gnfc64", wtAblation{growNeeded: 4, growNeededCap: -64}},
	{"gnfc256", wtAblation{growNeeded: 4, growNeededCap: -256}},
	{"gnb128", wtAblation{growNeeded: 3, growNeededCap: 128}},
	{"gnb512", wtAblation{growNeeded: 3, growNeededCap: 512}},
	{"gnbc64", wtAblation{growNeeded: 3, growNeededCap: -64}},
	{"gnbc256", wtAblation{growNeeded: 3, growNeededCap: -256}},
	{"fillall", wtAblation{fillAll: true}},
	{"fillall20", wtAblation{fillAll: true, fillHits: 20}},
	{"lazybig25", wtAblation{lazyPercent: 25}},
	{"lazybig50", wtAblation{lazyPercent: 50}},
	{"lazybig75", wtAblation{lazyPercent: 75}},
	{"lazybig90", wtAblation{lazyPercent: 90}},
	{"lazybig99", wtAblation{lazyPercent: 99}},
	{"nodoor", wtAblation{noDoorkeeper: true}},
	{"noadapt", wtAblation{noAdapt: true}},
	{"shrink4", wtAblation{constShrink: true}},
	{"caffflood", wtAblation{caffeineFlood: true}},
	{"noflood", wtAblation{noFlood: true}},
	{"unscaled", wtAblation{unscaled: true}},
	{"noduel", wtAblation{noDuel: true}},
	{"sampduel", wtAblation{sampledDuel: true}},
	{"smallsk", wtAblation{smallSketch: true}},
	{"startlru", wtAblation{startLRU: true}},
	{"noblind", wtAblation{noBlind: true}},
	{"blindcounted", wtAblation{blindCounted: true}},
	{"blindslowgate", wtAblation{blindSlowGate: true}},
	{"duelfill", wtAblation{duelFill: true}},
	{"contshadow", wtAblation{contShadow: true}},
	{"dropshadow", wtAblation{dropShadow: true}},
	{"nogrowth", wtAblation{noGrowthGhosts: true}},
	{"coarse", wtAblation{coarseSteps: true}},
	{"single", wtAblation{singleSketch: true}},
	{"victim2", wtAblation{victimScan: 2}},
	{"victim4", wtAblation{victimScan: 4}},
	{"victim8", wtAblation{victimScan: 8}},
	{"novictim", wtAblation{victimScan: 1}},
	{"bigvictim2", wtAblation{bigVictimScan: 2}},
	{"bigvictim8", wtAblation{bigVictimScan: 8}},
	{"stale1", wtAblation{staleTie: 1}},
	{"stale2", wtAblation{staleTie: 2}},
	{"stale4", wtAblation{staleTie: 4}},
	{"stale10", wtAblation{staleTie: 10}},
	{"stale2f2", wtAblation{staleTie: 2, staleTieFrom: 2}},
	{"stale4f2", wtAblation{staleTie: 4, staleTieFrom: 2}},
	{"indic50k", wtAblation{indicatorSample: 50000}},
	{"indic10x", wtAblation{indicatorSample: -10}},
	{"cap20", wtAblation{windowCap: 20}},
	{"cap30", wtAblation{windowCap: 30}},
	{"cap40", wtAblation{windowCap: 40}},
	{"cap50", wtAblation{windowCap: 50}},
	{"rate5", wtAblation{rateLimit: 5}},
	{"rate10", wtAblation{rateLimit: 10}},
	{"rate20", wtAblation{rateLimit: 20}},
	{"rate40", wtAblation{rateLimit: 40}},
	{"nogate", wtAblation{gatePercent: -1}},
	{"gate100", wtAblation{gatePercent: 100}},
	{"gate125", wtAblation{gatePercent: 125}},
	{"gate175", wtAblation{gatePercent: 175}},
	{"gate200", wtAblation{gatePercent: 200}},
	{"decay10", wtAblation{duelDecay10: true}},
	{"noearly", wtAblation{earlyZ: -1}},
	{"noreach", wtAblation{reach: -1}},
	{"reach2", wtAblation{reach: 2}},
	{"reach8", wtAblation{reach: 8}},
	{"reach16", wtAblation{reach: 16}},
	{"reach4all", wtAblation{reachAll: true}},
	{"reach8all", wtAblation{reach: 8, reachAll: true}},
	{"early2", wtAblation{earlyZ: 2}},
	{"earlyall3", wtAblation{earlyZ: 3, earlyAll: true}},
	{"div6k", wtAblation{stepDivisor: 6000}},
	{"div12k", wtAblation{stepDivisor: 12000}},
	{"div24k", wtAblation{stepDivisor: 24000}},
	{"div48k", wtAblation{stepDivisor: 48000}},
	{"sdiv1500", wtAblation{shrinkDivisor: 1500}},
	{"idle1", wtAblation{idleHalf: 1}},
	{"idle2", wtAblation{idleHalf: 2}},
	{"idle4", wtAblation{idleHalf: 4}},
	{"idle8", wtAblation{idleHalf: 8}},
	{"idle16", wtAblation{idleHalf: 16}},
	{"idlebig2", wtAblation{idleHalf: 2, idleBigOnly: true}},
	{"idlebig4", wtAblation{idleHalf: 4, idleBigOnly: true}},
	{"idlebig8", wtAblation{idleHalf: 8, idleBigOnly: true}},
	{"idlebig16", wtAblation{idleHalf: 16, idleBigOnly: true}},
	{"idlebig32", wtAblation{idleHalf: 32, idleBigOnly: true}},
	{"idlebig64", wtAblation{idleHalf: 64, idleBigOnly: true}},
	{"lidle2", wtAblation{idleHalf: 2, learnIdle: true}},
	{"lidle4", wtAblation{idleHalf: 4, learnIdle: true}},
	{"lidle8", wtAblation{idleHalf: 8, learnIdle: true}},
	{"lidlebig2", wtAblation{idleHalf: 2, idleBigOnly: true, learnIdle: true}},
	{"lidlebig4", wtAblation{idleHalf: 4, idleBigOnly: true, learnIdle: true}},
	{"lidlebig4b10", wtAblation{idleHalf: 4, idleBigOnly: true, learnIdle: true, idleBias: 10}},
	{"lidlebig8", wtAblation{idleHalf: 8, idleBigOnly: true, learnIdle: true}},
	{"lidlebig4h4", wtAblation{idleHalf: 4, idleBigOnly: true, learnIdle: true, idleHorizon: 4}},
	{"lidlebig2h4", wtAblation{idleHalf: 2, idleBigOnly: true, learnIdle: true, idleHorizon: 4}},
	{"lidlebig4h2", wtAblation{idleHalf: 4, idleBigOnly: true, learnIdle: true, idleHorizon: 2}},
	{"bigcand2", wtAblation{bigCandidateDivisor: 2}},
	{"bigcand4", wtAblation{bigCandidateDivisor: 4}},
	{"bigcand8", wtAblation{bigCandidateDivisor: 8}},
	{"bigcand32", wtAblation{bigCandidateDivisor: 32}},
	{"scap4", wtAblation{shrinkCap: 4}},
	{"scap8", wtAblation{shrinkCap: 8}},
	{"scap2", wtAblation{shrinkCap: 2}},
	{"scap3", wtAblation{shrinkCap: 3}},
	{"scap6", wtAblation{shrinkCap: 6}},
	{"bigscap3", wtAblation{shrinkCap: 3, shrinkCapBig: true}},
	{"bigscap4", wtAblation{shrinkCap: 4, shrinkCapBig: true}},
	{"sfloor4", wtAblation{shrinkFloor: 4}},
	{"sfloor2", wtAblation{shrinkFloor: 2}},
	{"scap4f4", wtAblation{shrinkCap: 4, shrinkFloor: 4}},
	{"gfac1", wtAblation{growthFactor: 1}},
	{"gfac2", wtAblation{growthFactor: 2}},
	{"gconst4", wtAblation{growthConst: 4}},
	{"gconst4f1", wtAblation{growthConst: 4, growthFactor: 1}},
	{"gconst2f1", wtAblation{growthConst: 2, growthFactor: 1}},
	{"gsq16", wtAblation{growthSquare: 16}},
	{"gsq8", wtAblation{growthSquare: 8}},
	{"gsq8f2", wtAblation{growthSquare: 8, growthFactor: 2}},
	{"biggsq8", wtAblation{growthSquare: 8, growthSquareBig: true}},
	{"biggsq4", wtAblation{growthSquare: 4, growthSquareBig: true}},
	{"gunit1", wtAblation{growthUnit: 1}},
	{"gunit2", wtAblation{growthUnit: 2}},
	{"gunit1all", wtAblation{growthUnit: 1, growthUnitAll: true}},
	{"gunit2all", wtAblation{growthUnit: 2, growthUnitAll: true}},
	{"sa8m1", wtAblation{stepAdapt: 8, stepMin: 1}},
	{"sa8m2", wtAblation{stepAdapt: 8, stepMin: 2}},
	{"sa8m4", wtAblation{stepAdapt: 8, stepMin: 4}},
	{"sa4m1", wtAblation{stepAdapt: 4, stepMin: 1}},
	{"sa16m1", wtAblation{stepAdapt: 16, stepMin: 1}},
	{"sa2m2", wtAblation{stepAdapt: 2, stepMin: 2}},
	{"sa1m2", wtAblation{stepAdapt: 1, stepMin: 2}},
	{"gdiv1500", wtAblation{growDivisor: 1500}},
	{"gmul2", wtAblation{growMul: 2}},
	{"gmul2s", wtAblation{growMul: 2, growMulSmall: true}},
	{"gmul4s", wtAblation{growMul: 4, growMulSmall: true}},
	{"ghost4", wtAblation{ghostDivisor: 4}},
	{"ghost8", wtAblation{ghostDivisor: 8}},
	{"ghost32", wtAblation{ghostDivisor: 32}},
	{"ghost64", wtAblation{ghostDivisor: 64}},
	{"smallghost4", wtAblation{ghostDivisor: 4, smallGhosts: true}},
	{"smallghost6", wtAblation{ghostDivisor: 6, smallGhosts: true}},
	{"smallghost8", wtAblation{ghostDivisor: 8, smallGhosts: true}},
	{"smallghost11", wtAblation{ghostDivisor: 11, smallGhosts: true}},
	{"smallghost32", wtAblation{ghostDivisor: 32, smallGhosts: true}},
	{"gfloor8", wtAblation{ghostFloor: 8}},
	{"gfloor16", wtAblation{ghostFloor: 16}},
	{"gfloor24", wtAblation{ghostFloor: 24}},
	{"gfloor32", wtAblation{ghostFloor: 32}},
	{"cand4", wtAblation{candidateDivisor: 4}},
	{"cand11", wtAblation{candidateDivisor: 11}},
	{"cand16", wtAblation{candidateDivisor: 16}},
	{"winpromote", wtAblation{windowPromote: true}},
	{"tieadmit", wtAblation{admitMargin: -1}},
	{"nofilter", wtAblation{admitMargin: -100}}, // a candidate wins every contest but against a blind victim (see admit)
	{"nofilterret1", wtAblation{admitMargin: -100, victimReturn: 1}},
	{"nofilterret4", wtAblation{admitMargin: -100, victimReturn: 4}},
	{"ret1", wtAblation{victimReturn: 1}},
	{"scl50k", wtAblation{stepScaleCap: 50_000, stepScaleCapVictim: 50_000}},
	{"scl60k", wtAblation{stepScaleCap: 60_000, stepScaleCapVictim: 60_000}},
	{"scl75k", wtAblation{stepScaleCap: 75_000, stepScaleCapVictim: 75_000}},
	{"scl100k", wtAblation{stepScaleCap: 100_000, stepScaleCapVictim: 100_000}},
	{"growscaled", wtAblation{stepScaleCap: -1}},
	{"c75v100", wtAblation{stepScaleCap: 75_000, stepScaleCapVictim: 100_000}},
	{"margin1", wtAblation{admitMargin: 1}},
	{"countsat", wtAblation{countSaturated: true}},
	{"skipsat", wtAblation{skipSaturated: true}},
	{"shrinkback", wtAblation{shrinkTo: wtShrinkToBack}},
	{"shrinkfrontall", wtAblation{shrinkTo: wtShrinkToFrontAll}},
	{"nonarrow", wtAblation{noNarrow: true}},
	{"backz3", wtAblation{backZ: 3}},
	{"backz4", wtAblation{backZ: 4}},
	{"backm10", wtAblation{backMargin: 10}},
	{"backm20", wtAblation{backMargin: 20}},
	{"blind1", wtAblation{blindLead: 1}},
	{"blind2", wtAblation{blindLead: 2}},
	{"blind15", wtAblation{blindLead: 15}},
	{"backz3blind1", wtAblation{backZ: 3, blindLead: 1}},
	{"tie2", wtAblation{tieFrom: 2}},
	{"tie3", wtAblation{tieFrom: 3}},
	{"tie5", wtAblation{tieFrom: 5}},
	{"tie8", wtAblation{tieFrom: 8}},
	{"tie12", wtAblation{tieFrom: 12}},
	{"tie15", wtAblation{tieFrom: 15}},
	{"bigtie1", wtAblation{tieFrom: 1, bigTieOnly: true}},
	{"bigtie2", wtAblation{tieFrom: 2, bigTieOnly: true}},
	{"bigtie3", wtAblation{tieFrom: 3, bigTieOnly: true}},
	{"bigtie5", wtAblation{tieFrom: 5, bigTieOnly: true}},
	{"bigtie8", wtAblation{tieFrom: 8, bigTieOnly: true}},
	{"bigtie11", wtAblation{tieFrom: 11, bigTieOnly: true}},
	{"bigtie13", wtAblation{tieFrom: 13, bigTieOnly: true}},
	{"bigtie15", wtAblation{tieFrom: 15, bigTieOnly: true}},
	{"learnties0", wtAblation{learnTies: true}},
	{"learnties5", wtAblation{learnTies: true, tieBias: 5}},
	{"learnties10", wtAblation{learnTies: true, tieBias: 10}},
	{"learnties20", wtAblation{learnTies: true, tieBias: 20}},
	{"learntiesm10", wtAblation{learnTies: true, tieBias: -10}},
	// learnTies at every size (watch table kept above wtDuelSize too);
	// ltbm1 and ltbm2 learn only ties of estimates up to 1 and 2.
	{"ltb0", wtAblation{learnTiesBig: true}},
	{"ltb5", wtAblation{learnTiesBig: true, tieBias: 5}},
	{"ltb20", wtAblation{learnTiesBig: true, tieBias: 20}},
	{"ltbm1", wtAblation{learnTiesBig: true, tieMax: 1}},
	{"ltbm2", wtAblation{learnTiesBig: true, tieMax: 2}},
	// Blind ties for the first k x max contests above wtDuelSize.
	{"blindturn1", wtAblation{blindTurnover: 1}},
	{"blindturn2", wtAblation{blindTurnover: 2}},
	{"blindturn4", wtAblation{blindTurnover: 4}},
	// The window's starting share, above wtDuelSize (startall: every size).
	{"start5", wtAblation{startShare: 5}},
	{"start8", wtAblation{startShare: 8}},
	{"start10", wtAblation{startShare: 10}},
	{"start12", wtAblation{startShare: 12}},
	{"start15", wtAblation{startShare: 15}},
	{"start20", wtAblation{startShare: 20}},
	{"start25", wtAblation{startShare: 25}},
	{"start30", wtAblation{startShare: 30}},
	{"start60", wtAblation{startShare: 60}},
	{"start90", wtAblation{startShare: 90}},
	{"start99", wtAblation{startShare: 99}},
	{"startall5", wtAblation{startShare: 5, startAll: true}},
	{"startall10", wtAblation{startShare: 10, startAll: true}},
	{"prot50", wtAblation{protectedPercent: 50}},
	{"prot65", wtAblation{protectedPercent: 65}},
	{"prot90", wtAblation{protectedPercent: 90}},
	{"prot95", wtAblation{protectedPercent: 95}},
	{"bigsk25", wtAblation{bigSketchPercent: 25}},
	{"bigsk50", wtAblation{bigSketchPercent: 50}},
	{"bigsk75", wtAblation{bigSketchPercent: 75}},
	{"bigsk125", wtAblation{bigSketchPercent: 125}},
	{"bigsk150", wtAblation{bigSketchPercent: 150}},
	{"bigsk175", wtAblation{bigSketchPercent: 175}},
	{"bigsk200", wtAblation{bigSketchPercent: 200}},
	{"bigsk300", wtAblation{bigSketchPercent: 300}},
	{"bigsk400", wtAblation{bigSketchPercent: 400}},
	{"noblindkeep", wtAblation{blindKeep: -1}},
	{"blindkeep2", wtAblation{blindKeep: 2}},
	{"blindkeep15", wtAblation{blindKeep: 15}},
	{"ncost64", wtAblation{narrowCost: 64}},
	{"ncost128", wtAblation{narrowCost: 128}},
	{"ncost256", wtAblation{narrowCost: 256}},
	{"ncost512", wtAblation{narrowCost: 512}},
	{"noreturn", wtAblation{returnBonus: -1}},
	{"return1", wtAblation{returnBonus: 1}},
	{"return2", wtAblation{returnBonus: 2}},
	{"return5", wtAblation{returnBonus: 5}},
	{"returnany", wtAblation{returnBonus: 16}},
	{"returnall", wtAblation{returnAll: true}},
	{"retbig4", wtAblation{returnBig: 4}},
	{"retbig2", wtAblation{returnBig: 2}},
	{"retbig1", wtAblation{returnBig: 1}},
	{"retbig2b1", wtAblation{returnBig: 2, returnBonus: 1}},
	{"retbig2b6", wtAblation{returnBig: 2, returnBonus: 6}},
	{"returnd16", wtAblation{returnDivisor: 16}},
	{"returnd32", wtAblation{returnDivisor: 32}},
	{"returnd12", wtAblation{returnDivisor: 12}},
	{"learnret5b7", wtAblation{learnReturn: true, tieBias: 5, returnBonus: 7}},
	{"learnret0b5", wtAblation{learnReturn: true, tieBias: 0, returnBonus: 5}},
	{"learnret5b5", wtAblation{learnReturn: true, tieBias: 5, returnBonus: 5}},
	{"learnret10", wtAblation{learnReturn: true, tieBias: 10}},
}

// TestSimAblations replays the traces through the policy as shipped and
// with each part of its design switched off or back to the alternative it was
// measured against (see wtAblation), when CLIENTCACHE_ABLATIONS is set: "1"
// for every trace but arc-p3, "all" for every trace, or comma-separated
// short trace names. Keys are hashed as the engine hashes them, so that with
// seed 1 the "shipped" column equals clientcache-LFU in bench/'s table.
// CLIENTCACHE_SEEDS (comma-separated, default 1) averages every figure over
// several seeds, to tell a design's effect from the luck of one seed, and
// CLIENTCACHE_CAPACITIES (comma-separated) replaces every trace's capacities
// (e.g. 8,16,32,48 for the small caches where the smallsk column differs), and
// CLIENTCACHE_VARIANTS (comma-separated column names) keeps only those columns. Rows
// replay in parallel, each on one goroutine. A development aid: it prints
// hit percentages.
func TestSimAblations(t *testing.T) {
	want := os.Getenv("CLIENTCACHE_ABLATIONS")
	if want == "" {
		t.Skip("set CLIENTCACHE_ABLATIONS=1 (or all, or trace names) to compare W-TinyLFU ablations")
	}
	seeds := []uint64{1}
	if list := simEnvInts(t, "CLIENTCACHE_SEEDS"); list != nil {
		seeds = nil
		for _, s := range list {
			seeds = append(seeds, uint64(s))
		}
	}
	capacities := simEnvInts(t, "CLIENTCACHE_CAPACITIES")
	if want != "1" && want != "all" {
		simCheckLabels(t, "CLIENTCACHE_ABLATIONS", want)
	}
	dir := simTraceDir(t)
	variants := simVariants
	if list := os.Getenv("CLIENTCACHE_VARIANTS"); list != "" {
		var keep []simVariant
		for _, name := range strings.Split(list, ",") {
			i := slices.IndexFunc(variants, func(v simVariant) bool { return v.name == name })
			if i < 0 {
				t.Fatalf("CLIENTCACHE_VARIANTS: no column %q", name)
			}
			keep = append(keep, variants[i])
		}
		variants = keep
	}
	type row struct {
		label string
		keys  []uint64
		max   int
		line  string
	}
	var rows []*row
	for _, f := range trace.Files {
		switch {
		case want == "all":
		case want == "1" && f.Label != "p3":
		case strings.Contains(","+want+",", ","+f.Label+","):
		default:
			continue
		}
		keys, err := f.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		caps := f.Capacities
		if capacities != nil {
			caps = capacities
		}
		for _, c := range caps {
			rows = append(rows, &row{label: f.Label, keys: keys, max: c})
		}
	}
	work := make(chan *row)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				n := len(r.keys)
				line := fmt.Sprintf("%-10.10s %7d %6.2f %6.2f", r.label, r.max,
					trace.Percent(trace.Optimal(r.keys, r.max), n), trace.Percent(trace.LRUHits(r.keys, r.max), n))
				for _, v := range variants {
					sum := 0.0
					for _, seed := range seeds {
						p := newWTinyLFUAblated[uint64, struct{}](r.max, seed, v.off)
						sum += trace.Percent(trace.Replay(r.keys, newSimEngineCache(p, r.max, seed)), n)
					}
					line += fmt.Sprintf(" %9.2f", sum/float64(len(seeds)))
				}
				r.line = line
			}
		}()
	}
	for _, r := range rows {
		work <- r
	}
	close(work)
	wg.Wait()
	var b strings.Builder
	fmt.Fprintf(&b, "seeds %v\n%-10s %7s %6s %6s", seeds, "trace", "cap", "OPT", "LRU")
	for _, v := range variants {
		fmt.Fprintf(&b, " %9s", v.name)
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString(r.line + "\n")
	}
	t.Log("\n" + b.String())
}

// simCheckLabels fails the test, naming the environment variable env, if
// list (comma-separated) holds anything but trace labels (see trace.Files):
// a misspelt or unknown label used to be skipped without a word, leaving an
// empty table that passed.
func simCheckLabels(t *testing.T, env, list string) {
	t.Helper()
	for _, label := range strings.Split(list, ",") {
		if f, ok := trace.Lookup(label); !ok || f.Label != label {
			t.Fatalf("%s: %q is not a trace label (see internal/trace.Files)", env, label)
		}
	}
}

// simEnvInts returns the comma-separated positive integers of the
// environment variable name, nil if it is unset; anything else fails the
// test, naming the variable.
func simEnvInts(t *testing.T, name string) []int {
	t.Helper()
	env := os.Getenv(name)
	if env == "" {
		return nil
	}
	var list []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			t.Fatalf("%s: %q is not a positive integer", name, f)
		}
		list = append(list, n)
	}
	return list
}

// simRow is one trace@capacity of a development aid's environment variable.
type simRow struct {
	name     string
	capacity int
	keys     []uint64
}

// simRows parses spec, the semicolon-separated trace@capacity items of the
// environment variable env, and loads each trace; anything else fails the
// test, naming the variable.
func simRows(t *testing.T, env, spec string) []simRow {
	t.Helper()
	var rows []simRow
	for _, item := range strings.Split(spec, ";") {
		name, capText, ok := strings.Cut(item, "@")
		c, err := strconv.Atoi(capText)
		if !ok || err != nil || c < 1 {
			t.Fatalf("%s: %q is not trace@capacity", env, item)
		}
		keys, _ := simLoad(t, name)
		rows = append(rows, simRow{name, c, keys})
	}
	return rows
}

// TestSimDuelTimeline prints, for each trace@capacity in CLIENTCACHE_DUEL
// (semicolon-separated, e.g. "zigzag@1000;corda@250"), when the duel switched
// the policy between W-TinyLFU and LRU mode, with the policy's and a
// textbook LRU's hits so far: it shows where LFU's gap to LRU opened. A
// development aid.
func TestSimDuelTimeline(t *testing.T) {
	spec := os.Getenv("CLIENTCACHE_DUEL")
	if spec == "" {
		t.Skip("set CLIENTCACHE_DUEL=trace@capacity[;...] to print the duel's switches")
	}
	for _, r := range simRows(t, "CLIENTCACHE_DUEL", spec) {
		name, c, keys := r.name, r.capacity, r.keys
		p := newWTinyLFU[uint64, struct{}](c, 1)
		if p.duel == nil {
			t.Logf("%s@%d: caches above %d entries do not duel", name, c, wtDuelSize)
			continue
		}
		lfu := newSimEngineCache(p, c, 1)
		lru := newSimCache(newLRU[uint64, struct{}](), c)
		var hits, lruHits int
		mode := p.lruMode
		var b strings.Builder
		for i, k := range keys {
			if lfu.Get(k) {
				hits++
			} else {
				lfu.Set(k)
			}
			if lru.Get(k) {
				lruHits++
			} else {
				lru.Set(k)
			}
			if p.lruMode != mode {
				mode = p.lruMode
				to := "W-TinyLFU"
				if mode {
					to = "LRU"
				}
				fmt.Fprintf(&b, "\n  after request %d: %s mode (hits so far %d, textbook LRU %d)", i+1, to, hits, lruHits)
			}
		}
		t.Logf("%s@%d: %d requests, %d hits, textbook LRU %d%s", name, c, len(keys), hits, lruHits, b.String())
	}
}

// TestSimWindowSweep replays each trace@capacity of CLIENTCACHE_WINDOWS
// (semicolon-separated, e.g. "p3@400000;web07@5000") with the window held
// at fixed shares of the cache (no ghosts, no duel), beside the policy as
// shipped, and prints the shipped policy's window share at twenty points of
// the trace with its hits over each twentieth, beside the hits of the best
// fixed share over the same twentieth: it tells whether a row's gap comes
// from where the window goes (and when) or from the rest of the design. A
// development aid.
func TestSimWindowSweep(t *testing.T) {
	spec := os.Getenv("CLIENTCACHE_WINDOWS")
	if spec == "" {
		t.Skip("set CLIENTCACHE_WINDOWS=trace@capacity[;...] to compare fixed window shares with the adaptive window")
	}
	shares := []int{1, 3, 10, 20, 30, 50, 70}
	for _, r := range simRows(t, "CLIENTCACHE_WINDOWS", spec) {
		name, c, keys := r.name, r.capacity, r.keys
		n := len(keys)
		step := max(n/20, 1)
		var b strings.Builder
		fmt.Fprintf(&b, "%s@%d: OPT %.2f%%, LRU %.2f%%; fixed window:", name, c,
			trace.Percent(trace.Optimal(keys, c), n), trace.Percent(trace.LRUHits(keys, c), n))
		bestShare, bestHits, bestSteps := 0, -1, []int(nil)
		for _, share := range shares {
			hits, steps := simFixedWindow(keys, c, share, step, wtAblation{})
			fmt.Fprintf(&b, " %d%% %.2f%%", share, trace.Percent(hits, n))
			if hits > bestHits {
				bestShare, bestHits, bestSteps = share, hits, steps
			}
		}
		// The same shares with two changes of structure that move the
		// policy toward ARC and 2Q (see wtAblation): where no share of
		// either reaches a rival, no window controller can.
		for _, v := range []struct {
			name string
			off  wtAblation
		}{
			{"window hits promoted", wtAblation{windowPromote: true}},
			{"ties admitted", wtAblation{admitMargin: -1}},
			{"both", wtAblation{windowPromote: true, admitMargin: -1}},
		} {
			fmt.Fprintf(&b, "; %s:", v.name)
			for _, share := range shares {
				hits, _ := simFixedWindow(keys, c, share, n, v.off)
				fmt.Fprintf(&b, " %d%% %.2f%%", share, trace.Percent(hits, n))
			}
		}
		p := newWTinyLFU[uint64, struct{}](c, 1)
		var windows []float64 // the shipped window's share after each twentieth
		hits, steps := simStepHits(keys, newSimEngineCache(p, c, 1), step, func() {
			windows = append(windows, 100*float64(p.windowMax)/float64(c))
		})
		fmt.Fprintf(&b, "; as shipped %.2f%%; per %d requests, hits as shipped (and their lead on the window held at %d%%):",
			trace.Percent(hits, n), step, bestShare)
		for i := range steps {
			fmt.Fprintf(&b, "\n  after request %d: window %.2f%% of the cache, %d hits (%+d)",
				(i+1)*step, windows[i], steps[i], steps[i]-bestSteps[i])
		}
		t.Log(b.String())
	}
}

// TestSimWindowLadder asks, for each trace@capacity of CLIENTCACHE_LADDER
// (semicolon-separated), whether the window could be set by simulating the
// cache at several fixed window shares beside it and following the share
// that has hit most lately, instead of by the ghosts. It replays the trace
// at each share of simLadderShares, every run of capacity/4 requests (at
// least 100) credits each share with its hits over the run and decays the
// shares' scores by 1/d (d = 2, 5, 20), and a follower takes, over each
// run, the hits of the share that led the scores before it. The follower
// is an upper bound for such a controller: its shadows are full size, and
// it moves between shares without cost, where a cache whose window moves
// keeps the contents the old share gave it. It prints the fixed shares, the
// follower for each d, the best share of each run in hindsight ("oracle"),
// and the policy as shipped. A development aid.
func TestSimWindowLadder(t *testing.T) {
	spec := os.Getenv("CLIENTCACHE_LADDER")
	if spec == "" {
		t.Skip("set CLIENTCACHE_LADDER=trace@capacity[;...] to compare a controller that follows the best fixed window with the ghosts")
	}
	for _, r := range simRows(t, "CLIENTCACHE_LADDER", spec) {
		keys, c, n := r.keys, r.capacity, len(r.keys)
		step := max(c/4, 100)
		runs := make([][]int, len(simLadderShares))
		var b strings.Builder
		fmt.Fprintf(&b, "%s@%d, runs of %d requests; fixed window:", r.name, c, step)
		for i, share := range simLadderShares {
			hits, steps := simFixedWindow(keys, c, share, step, wtAblation{})
			runs[i] = simWholeRuns(hits, steps)
			fmt.Fprintf(&b, " %d%% %.2f%%", share, trace.Percent(hits, n))
		}
		fmt.Fprintf(&b, "; oracle %.2f%%; follower:", trace.Percent(trace.BestOfRuns(runs), n))
		for _, d := range []float64{2, 5, 20} {
			hits, switches := trace.FollowLeader(runs, d)
			fmt.Fprintf(&b, " d=%v %.2f%% (%d switches)", d, trace.Percent(hits, n), switches)
		}
		shipped := trace.Replay(keys, newSimEngineCache(newWTinyLFU[uint64, struct{}](c, 1), c, 1))
		fmt.Fprintf(&b, "; as shipped %.2f%%", trace.Percent(shipped, n))
		t.Log(b.String())
	}
}

// simLadderShares are TestSimWindowLadder's window shares, in percent of
// the cache.
var simLadderShares = []int{1, 3, 10, 20, 35, 50, 70, 85}

// simWholeRuns returns steps (simStepHits' hits over each whole run) with
// the hits of the last, partial run appended, so that they add up to hits.
func simWholeRuns(hits int, steps []int) []int {
	rest := hits
	for _, h := range steps {
		rest -= h
	}
	return append(steps, rest)
}

// simFixedWindow replays keys through a W-TinyLFU of c entries whose window
// is held at share% of the cache (no ghosts, no duel), with the ablations
// off, and returns simStepHits' figures.
func simFixedWindow(keys []uint64, c, share, step int, off wtAblation) (hits int, steps []int) {
	off.noAdapt, off.noGrowthGhosts, off.noDuel = true, true, true
	p := newWTinyLFUAblated[uint64, struct{}](c, 1, off)
	p.moveWindow(max(c*share/100, 1) - p.windowMax)
	return simStepHits(keys, newSimEngineCache(p, c, 1), step, nil)
}

// simStepHits replays keys through c with trace.Replay, a run of step
// requests at a time, and returns its hits, and its hits over each whole run
// (the last partial run is replayed and counted in hits only), calling after,
// if not nil, at the end of each whole run.
func simStepHits(keys []uint64, c trace.Cache, step int, after func()) (hits int, steps []int) {
	for ; len(keys) >= step; keys = keys[step:] {
		h := trace.Replay(keys[:step], c)
		hits += h
		steps = append(steps, h)
		if after != nil {
			after()
		}
	}
	return hits + trace.Replay(keys, c), steps
}

// TestSimPolicyRegressions is TestSimLFURegressions of sim_public_test.go
// driven through the harness, so that the policy's qualitative facts hold
// whether or not the engine builds it, plus two regressions of the second
// tuning round: loop@768, where Caffeine's unconditional flooding defence
// set off chains of misses (bench/: 63.55% with the hill climber, 75.71% now,
// optimum 75.81%), and corda, where the hill climber left LFU up to 3 points
// under LRU (the ghosts bring it within 0.1); and two of the duel's, zigzag
// and sprite at 1,000 entries.
func TestSimPolicyRegressions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int
		margin float64
	}{{"loop", 512, 30}, {"loop", 768, 70}, {"oltp", 1000, 4}, {"corda", 1000, -0.5}, {"corda", 250, -0.5},
		// The duel (wtduel.go): without it W-TinyLFU was 7.1 points under LRU
		// on zigzag@1000 and 1.7 on sprite@1000.
		{"zigzag", 1000, -2.5}, {"sprite", 1000, -0.5}} {
		keys := simLoadPrefix(t, tc.name, 150_000)
		lfu := trace.Percent(simLFU(keys, tc.max), len(keys))
		lru := trace.Percent(trace.LRUHits(keys, tc.max), len(keys))
		if lfu-lru < tc.margin {
			t.Errorf("%s@%d: LFU %.2f%%, LRU %.2f%%: want LFU - LRU >= %.1f points", tc.name, tc.max, lfu, lru, tc.margin)
		}
	}
}

// TestSimSmallCaches pins three choices for small caches, each against the
// ablation that undoes it, on Zipf and OLTP at 8, 16 and 64 entries: where a
// choice applies it must gain at least the given points, and elsewhere it
// must change nothing.
//
//   - The sketch's size floor (wtMinSketch, ablation smallSketch): at 8 and
//     16 entries, a sketch sized for 64 entries rather than for twice the
//     cache (0.32 and 0.20 points on this prefix of Zipf, 0.43 and 0.23 on
//     OLTP's).
//   - The window's fine steps (wtFineSize, ablation coarseSteps): at 8 and
//     16 entries, moving the window by max/64 of an entry per ghost hit
//     rather than by whole entries (0.75 and 0.54 points on Zipf, 0.12 and
//     0.08 on OLTP).
//   - The doubled sketch (wtDoubleSketch, ablation singleSketch): at 64
//     entries, a sketch sized for 128 entries rather than 64 (0.62 points on
//     Zipf, 0.77 on OLTP); at 8 and 16 the floor sizes both for 64.
//
// The first 300,000 requests of each trace are replayed (the whole traces
// show the same: see the file comment of wtinylfu.go), under seeds 1, 2 and
// 3, and the hit ratios averaged: a single seed's figure moves by a tenth of
// a point or two with any change to the sketch's hashing or aging.
func TestSimSmallCaches(t *testing.T) {
	choices := []struct {
		name    string
		without wtAblation
		gainAt  []int   // the sizes where the choice applies
		gain    float64 // the least gain there, in points
	}{
		{"sketch sized for 64 entries, not for twice the cache", wtAblation{smallSketch: true}, []int{8, 16}, 0.15},
		{"window moved by max/64 of an entry, not by whole entries", wtAblation{coarseSteps: true}, []int{8, 16}, 0.05},
		{"sketch sized for twice the cache, not for the cache", wtAblation{singleSketch: true}, []int{64}, 0.3},
	}
	if raceEnabled {
		// 72 replays of 300,000 requests: over two minutes under the race
		// detector, which has nothing to find in one goroutine, and the
		// gains it checks are not those of a shorter prefix.
		t.Skip("skipping under -race: CI replays it without -race (go test -run TestSimSmallCaches ./concurrent/)")
	}
	for _, name := range []string{"zipf", "oltp"} {
		keys, _ := simLoad(t, name)
		keys = keys[:min(len(keys), 300_000)]
		for _, size := range []int{8, 16, 64} {
			hits := func(off wtAblation) float64 {
				var sum float64
				for seed := uint64(1); seed <= 3; seed++ {
					p := newWTinyLFUAblated[uint64, struct{}](size, seed, off)
					sum += trace.Percent(trace.Replay(keys, newSimEngineCache(p, size, seed)), len(keys))
				}
				return sum / 3
			}
			shipped := hits(wtAblation{})
			for _, c := range choices {
				without := hits(c.without)
				t.Logf("%s@%d: %s: %.2f%%, without: %.2f%%", name, size, c.name, shipped, without)
				switch applies := slices.Contains(c.gainAt, size); {
				case !applies && shipped != without:
					t.Errorf("%s@%d: %s changed a cache of %d entries: %.2f%% against %.2f%%", name, size, c.name, size, shipped, without)
				case applies && shipped-without < c.gain:
					t.Errorf("%s@%d: %s: %.2f%%, without: %.2f%%: want a gain of at least %.2f points", name, size, c.name, shipped, without, c.gain)
				}
			}
		}
	}
}

// simEngineCache is simCache with the engine's key hash under seed, so that
// its figures equal those of the public API (bench/) for the same seed.
func newSimEngineCache(p policy[uint64, struct{}], max int, seed uint64) *simEngineCache {
	return &simEngineCache{simCache: newSimCache(p, max), h: newHasher[uint64](seed)}
}

type simEngineCache struct {
	*simCache
	h hasher[uint64]
}

func (c *simEngineCache) Set(k uint64) {
	n := &node[uint64, struct{}]{key: k, hash: c.h.hash(k)}
	c.m[k] = n
	c.p.add(n)
	for c.p.len() > c.max {
		v := c.p.evict()
		delete(c.m, v.key)
	}
}

// TestEveryAblationReplays runs each column of TestSimAblations (simVariants)
// on a synthetic stream (in turn, for 500 requests each: a loop over more
// keys than the cache holds, keys scattered over twice the cache's size by
// squares modulo 97, a scan of new keys), at sizes below and above
// wtDuelSize, with a resize halfway, driving the policy as the engine does.
// The ablations are development aids that TestSimAblations runs only on
// request; this keeps each of them working: none may panic, hold more than
// its maximum once the engine has evicted, or evict a node it does not hold.
func TestEveryAblationReplays(t *testing.T) {
	steps := 6000
	if raceEnabled || testing.Short() {
		steps = 2000
	}
	for _, v := range simVariants {
		for _, size := range []int{1, 8, 100, 1500} {
			t.Run(fmt.Sprintf("%s/max=%d", v.name, size), func(t *testing.T) {
				p := newWTinyLFUAblated[uint64, struct{}](size, 1, v.off)
				held := map[uint64]*node[uint64, struct{}]{}
				limit := size
				next := uint64(1 << 40) // the scan's keys, never requested before
				for step := range steps {
					if step == steps/2 {
						limit = size/2 + 1
						p.setMax(limit)
					}
					var k uint64
					switch phase := step / 500 % 3; {
					case phase == 0:
						k = uint64(step % (size + size/2 + 2))
					case phase == 1:
						k = uint64(step*step%97) % uint64(2*size+3)
					default:
						next++
						k = next
					}
					if n := held[k]; n != nil {
						p.access(n)
					} else {
						n = &node[uint64, struct{}]{key: k, hash: simHash(k)}
						held[k] = n
						p.add(n)
					}
					for p.len() > limit {
						x := p.evict()
						if x == nil || held[x.key] != x {
							t.Fatalf("step %d: evicted %v, which the policy did not hold", step, x)
						}
						delete(held, x.key)
					}
					if p.len() != len(held) {
						t.Fatalf("step %d: policy holds %d entries, the map %d", step, p.len(), len(held))
					}
				}
			})
		}
	}
}

// TestSimWholeRuns checks TestSimWindowLadder's runs: the last, partial run
// is what the whole runs leave of the hits.
func TestSimWholeRuns(t *testing.T) {
	if got := simWholeRuns(12, []int{3, 4}); !slices.Equal(got, []int{3, 4, 5}) {
		t.Errorf("simWholeRuns(12, [3 4]) = %v, want [3 4 5]", got)
	}
}

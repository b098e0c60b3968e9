package concurrent

import (
	"fmt"
	"os"
	"testing"
)

func TestScratchTenths(t *testing.T) {
	spec := os.Getenv("SCRATCH_ROWS")
	if spec == "" {
		t.Skip()
	}
	for _, r := range simRows(t, "SCRATCH_ROWS", spec) {
		run := func(label string, p *wtinylfu[uint64, struct{}]) {
			c := newSimEngineCache(p, r.capacity, 1)
			n := len(r.keys)
			step := n / 10
			line, hits, all := "", 0, 0
			wsum := 0.0
			for i, k := range r.keys {
				if c.Get(k) {
					hits++
					all++
				} else {
					c.Set(k)
				}
				wsum += float64(p.windowMax)
				if (i+1)%step == 0 {
					line += fmt.Sprintf(" %6.2f(w%4.1f)", 100*float64(hits)/float64(step), 100*wsum/float64(step)/float64(r.capacity))
					hits, wsum = 0, 0
				}
			}
			t.Logf("%s@%d %-8s%s | %.2f", r.name, r.capacity, label, line, 100*float64(all)/float64(n))
		}
		run("shipped", newWTinyLFU[uint64, struct{}](r.capacity, 1))
		for _, share := range []int{5, 10, 20, 30} {
			p := newWTinyLFUAblated[uint64, struct{}](r.capacity, 1, wtAblation{noAdapt: true, noGrowthGhosts: true, noDuel: true})
			p.moveWindow(max(r.capacity*share/100, 1) - p.windowMax)
			run(fmt.Sprintf("fix%d", share), p)
		}
	}
}

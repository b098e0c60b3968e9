package clientcache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clientcache/clientcache"
)

// TestEachBoundHoldsItsCache: MaxConfigs, MaxClients and MaxDerived each
// bound their own cache, whatever the other two say. No other test held
// Options.MaxDerived: the whole package passed with the derived cache
// built at DefaultMaxEntries whatever MaxDerived said.
func TestEachBoundHoldsItsCache(t *testing.T) {
	const identities = 5
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	for _, tc := range []struct {
		name string
		o    clientcache.Options
		want [3]int // configs, clients, derived held at most
	}{
		{"MaxConfigs", clientcache.Options{MaxConfigs: 2, MaxClients: 20, MaxDerived: 20}, [3]int{2, identities, identities}},
		{"MaxClients", clientcache.Options{MaxConfigs: 20, MaxClients: 2, MaxDerived: 20}, [3]int{identities, 2, identities}},
		{"MaxDerived", clientcache.Options{MaxConfigs: 20, MaxClients: 20, MaxDerived: 2}, [3]int{identities, identities, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClientCache(t, tc.o)
			ctx := context.Background()
			for i := range identities {
				key := serviceKey(t, staticIdentity(t, i), "s3")
				if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign); err != nil {
					t.Fatal(err)
				}
				st := c.Stats()
				held := [3]int{st.Configs.Len, st.Clients.Len, st.Derived.Len}
				for j, name := range [3]string{"configs", "clients", "derived objects"} {
					if bound := min(tc.want[j], i+1); held[j] > bound {
						t.Fatalf("after %d identities, %d %s cached, want at most %d", i+1, held[j], name, bound)
					}
				}
			}
			st := c.Stats()
			got := [3]uint64{st.Configs.Evictions(), st.Clients.Evictions(), st.Derived.Evictions()}
			want := [3]uint64{identities - uint64(tc.want[0]), identities - uint64(tc.want[1]), identities - uint64(tc.want[2])}
			if got != want {
				t.Fatalf("evictions (configs, clients, derived) %v, want %v", got, want)
			}
			if s, bounds := c.String(), fmt.Sprintf("configs: %d/%d, clients: %d/%d, derived: %d/%d",
				tc.want[0], tc.o.MaxConfigs, tc.want[1], tc.o.MaxClients, tc.want[2], tc.o.MaxDerived); s != "clientcache.Cache{"+bounds+"}" {
				t.Fatalf("the cache is %s, want %s", s, bounds)
			}
		})
	}
}

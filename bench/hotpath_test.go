package bench

import (
	"context"
	"testing"
)

// BenchmarkHotPath is row 1: the cached Retrieve from every P at once, awssts against the
// anchor, whose cached path is the bare aws.CredentialsCache.
func BenchmarkHotPath(b *testing.B) {
	for _, c := range []contender{onDemand, meteredOnDemand, sdk} {
		b.Run(c.name, func(b *testing.B) {
			p := c.open(b, &stub{})
			defer shut(p)
			if _, err := p.Retrieve(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := p.Retrieve(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

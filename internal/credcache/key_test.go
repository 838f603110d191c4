package credcache

import "testing"

// The failover regions are part of the key, in order; a key without them hashes as before
// they existed, so that entries written by an earlier awssts stay valid.
func TestKey_FailoverRegionsInOrder(t *testing.T) {
	base := Key{Action: "AssumeRole", Source: "access-key AKIA", Region: "us-east-1", RoleARN: "arn:aws:iam::123456789012:role/demo"}
	const before = "a6672ddd93a204486046812ddea6e2e3837bba41986f0719db14da91c73fbe8d" // base.Hash() before FailoverRegions
	if base.Hash() != before {
		t.Errorf("the key without failover regions hashes to %s, want %s as before", base.Hash(), before)
	}
	a, b := base, base
	a.FailoverRegions = []string{"us-west-2", "eu-west-1"}
	b.FailoverRegions = []string{"eu-west-1", "us-west-2"}
	seen := map[string]string{}
	for name, k := range map[string]Key{"none": base, "us-west-2,eu-west-1": a, "eu-west-1,us-west-2": b} {
		if other, ok := seen[k.Hash()]; ok {
			t.Errorf("failover regions %s and %s give the same key", name, other)
		}
		seen[k.Hash()] = name
	}
	empty := base
	empty.FailoverRegions = []string{}
	if empty.Hash() != base.Hash() {
		t.Errorf("an empty failover list changes the key")
	}
}

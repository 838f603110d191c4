package awssts_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Stats pairs Region with the held credentials ("the region whose endpoint issued the held
// credentials; "" when unknown"). After Invalidate nothing is held: AccessKeyID and Expiration
// are cleared, but Region still names the dropped credentials' region, so a health check that
// reads Stats sees a region for credentials that no longer exist.
func TestUserStats_AfterInvalidate_RegionClearedWithTheCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := ststest.NewInMemoryServer()
		defer srv.Close()
		srv.AddUser(childUser, childSecret)
		srv.AddRole(childRole, 0)
		p, err := awssts.NewFromConfig(inMemoryConfig(srv, childUser, childSecret), childRole)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := p.Stats(); s.Region != "us-east-1" {
			t.Fatalf("Stats().Region = %q before Invalidate, want us-east-1", s.Region)
		}
		p.Invalidate()
		if s := p.Stats(); s.AccessKeyID == "" && s.Region != "" {
			t.Errorf("Stats after Invalidate: AccessKeyID %q, Expiration %v, Region %q; want Region \"\" with nothing held", s.AccessKeyID, s.Expiration, s.Region)
		}
	})
}

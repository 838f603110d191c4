package awssts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Regional failover. A source with FailoverRegions holds one STS client per region: the client
// it was given, then one per failover region, derived from that client's options with only
// Region changed, so that its credentials, HTTP client, retryer and EndpointResolverV2 apply
// in every region. A call asks the region that answered last; when a region fails with an
// outage (isOutage), or its attempts run out of time, the next one is asked, the client's own
// region first. A refusal ends the call: another region would refuse too.
//
// After a failover the call goes straight to the region that answered, so no renewal pays for
// the primary's timeout again. The primary is probed at the first call after a jittered backoff
// of 5 minutes, doubling at each failed probe up to an hour: one attempt, no SDK retries, at
// most probeTimeout, then on to the region that answered. Once the primary answers, calls
// return to it.
const (
	// regionTimeout bounds the attempts in one region, SDK retries included, while other
	// regions are left to try. The last region left gets what remains of the call.
	regionTimeout   = 10 * time.Second
	probeTimeout    = 3 * time.Second
	minProbeBackoff = 5 * time.Minute
	maxProbeBackoff = time.Hour
	// disabledFor is how long a region that answered RegionDisabledException is skipped.
	disabledFor = time.Hour
)

var regionName = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// failover is the per-region client set of one source, and which region it asks first.
type failover struct {
	regions []string // the client's own region first
	clients []*sts.Client
	logger  *slog.Logger

	mu       sync.Mutex
	current  int         // the region asked first: 0, or the one that answered after 0 failed
	probeAt  time.Time   // with current > 0, when to ask region 0 again
	probes   int         // times in a row that region 0 failed while another answered
	disabled []time.Time // per region: skipped until then
}

// newFailover checks regions against client and derives a client for each; nil without regions.
func newFailover(client any, regions []string, logger *slog.Logger) (*failover, error) {
	if len(regions) == 0 {
		return nil, nil
	}
	c, ok := client.(*sts.Client)
	if !ok {
		return nil, fmt.Errorf("awssts: FailoverRegions is set, but the client is a %T: pass an *sts.Client, whose options make a client for each region", client)
	}
	o := c.Options()
	if o.BaseEndpoint != nil {
		return nil, fmt.Errorf("awssts: FailoverRegions is set, but the client's BaseEndpoint %q is one endpoint, with no region to fail over to: unset BaseEndpoint, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL and the profile's endpoint_url, or route regions with an EndpointResolverV2", *o.BaseEndpoint)
	}
	if err := checkRegions(o.Region, regions); err != nil {
		return nil, err
	}
	f := &failover{regions: append([]string{o.Region}, regions...), clients: []*sts.Client{c}, logger: logger,
		disabled: make([]time.Time, len(regions)+1)}
	for _, r := range regions {
		f.clients = append(f.clients, sts.New(o, func(o *sts.Options) { o.Region = r }))
	}
	return f, nil
}

func checkRegions(own string, regions []string) error {
	if own == "" {
		return errors.New("awssts: FailoverRegions is set, but the client has no Region: set the Region it asks first")
	}
	for i, r := range regions {
		switch {
		case !regionName.MatchString(r):
			return fmt.Errorf("awssts: FailoverRegions[%d] %q: must be an AWS region name like us-west-2", i, r)
		case r == own:
			return fmt.Errorf("awssts: FailoverRegions[%d] %q: is the client's own region, which is always asked first; list only other regions", i, r)
		case slices.Contains(regions[:i], r):
			return fmt.Errorf("awssts: FailoverRegions[%d] %q: is listed twice", i, r)
		case partition(r) != partition(own):
			return fmt.Errorf("awssts: FailoverRegions[%d] %q: is in partition %s, and the client's region %q in %s; credentials do not cross partitions",
				i, r, partition(r), own, partition(own))
		}
	}
	return nil
}

// partition is the AWS partition of a region, by its prefix.
func partition(region string) string {
	for _, p := range [][2]string{{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
		{"us-iso-", "aws-iso"}, {"eu-isoe-", "aws-iso-e"}, {"eusc-", "aws-eusc"}} {
		if strings.HasPrefix(region, p[0]) {
			return p[1]
		}
	}
	return "aws"
}

// viaRegions makes one source call: do with client, or with failover, with each region's
// client in turn as described above. It returns the answer and the region that gave it. The
// SDK does not retry throttling within the call: the engine's backoff does (waitAsked).
func viaRegions[C, T any](ctx context.Context, f *failover, client C, do func(context.Context, C, ...func(*sts.Options)) (T, error)) (T, string, error) {
	if f == nil {
		out, err := do(ctx, client, noThrottleRetries)
		return out, regionOf(client), err
	}
	var zero T
	now := time.Now()
	order, probe := f.plan(now)
	failed := &regionsError{}
	for i, r := range order {
		probing := probe && i == 0
		actx, cancel := attemptContext(ctx, probing, len(order)-i)
		opts := []func(*sts.Options){noThrottleRetries}
		if probing {
			opts = append(opts, func(o *sts.Options) { o.RetryMaxAttempts = 1 })
		}
		out, err := do(actx, any(f.clients[r]).(C), opts...) // every STS API client interface is met by *sts.Client
		timedOut := err != nil && actx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			f.answered(ctx, r, failed, time.Now())
			return out, f.regions[r], nil
		case ctx.Err() != nil:
			return zero, "", failed.add(f.regions[r], err)
		case isRegionDisabled(err):
			f.disable(ctx, r, err, time.Now())
		case !timedOut && !isOutage(err):
			return zero, "", failed.add(f.regions[r], err)
		}
		failed.add(f.regions[r], err)
	}
	f.answered(ctx, -1, failed, time.Now())
	return zero, "", failed
}

func noThrottleRetries(o *sts.Options) { o.Retryer = throttleNotRetried{o.Retryer} }

// plan is the order of regions to ask at now, and whether the first is a probe of region 0.
func (f *failover) plan(now time.Time) (order []int, probe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	probe = f.current != 0 && !now.Before(f.probeAt)
	if probe {
		order = append(order, 0)
	}
	order = append(order, f.current)
	for i := range f.regions {
		if i != f.current && (i != 0 || !probe) {
			order = append(order, i)
		}
	}
	if enabled := slices.DeleteFunc(slices.Clone(order), func(i int) bool { return now.Before(f.disabled[i]) }); len(enabled) > 0 {
		return enabled, probe && enabled[0] == 0
	}
	return order, probe
}

// attemptContext bounds the attempts in one region: a probe by probeTimeout, any other by
// regionTimeout and a fair share of the time left, the last region left by the call alone.
func attemptContext(ctx context.Context, probe bool, left int) (context.Context, context.CancelFunc) {
	if probe {
		return context.WithTimeout(ctx, probeTimeout)
	}
	if left == 1 {
		return context.WithCancel(ctx)
	}
	d := regionTimeout
	if end, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(end)/time.Duration(left))
	}
	return context.WithTimeout(ctx, d)
}

// answered records that region r answered (-1: none did) after the regions in failed did not.
func (f *failover) answered(ctx context.Context, r int, failed *regionsError, now time.Time) {
	primaryFailed := slices.Contains(failed.regions, f.regions[0])
	f.mu.Lock()
	from := f.current
	switch {
	case r == 0:
		f.current, f.probes = 0, 0
	case primaryFailed && (r > 0 || f.current != 0):
		f.probes++
		f.probeAt = now.Add(backoff(f.probes, minProbeBackoff, maxProbeBackoff))
	}
	if r > 0 {
		f.current = r
	}
	to, probeAt := f.current, f.probeAt
	f.mu.Unlock()
	switch {
	case to == from:
	case to == 0:
		f.warn(ctx, slog.LevelInfo, "awssts: STS answers again in the client's own region", "region", f.regions[0])
	default:
		f.warn(ctx, slog.LevelWarn, "awssts: STS failed over to another region", "region", f.regions[to], "failed", failed.Error(),
			"probe_at", probeAt.UTC())
	}
}

func (f *failover) disable(ctx context.Context, r int, err error, now time.Time) {
	f.mu.Lock()
	f.disabled[r] = now.Add(disabledFor)
	f.mu.Unlock()
	f.warn(ctx, slog.LevelWarn, "awssts: STS is not activated in a failover region; it is skipped", "region", f.regions[r],
		"error", err, "skipped_for", disabledFor)
}

// warn logs once the source call's waiters are released (logAfterCall), so that a handler
// that calls Retrieve cannot wait on the very call that logs.
func (f *failover) warn(ctx context.Context, level slog.Level, msg string, args ...any) {
	logger := f.logger
	logAfterCall(ctx, func() { logger.Log(context.Background(), level, msg, args...) })
}

func isRegionDisabled(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "RegionDisabledException"
}

// regionsError is the failure of a call that asked more than one region. It unwraps to the
// error that decides its kind: the first outage, if any region had one (a failover region that
// is disabled or refuses does not make the primary's outage a refusal), else the last error.
type regionsError struct {
	regions []string
	errs    []error
}

// add records err of region and returns the error of the call so far: err itself while only
// one region was asked.
func (e *regionsError) add(region string, err error) error {
	e.regions, e.errs = append(e.regions, region), append(e.errs, err)
	if len(e.errs) == 1 {
		return err
	}
	return e
}

func (e *regionsError) Error() string {
	var b strings.Builder
	for i, err := range e.errs {
		if i > 0 {
			b.WriteString("; then ")
		}
		fmt.Fprintf(&b, "in %s: %v", e.regions[i], err)
	}
	return b.String()
}

func (e *regionsError) Unwrap() error {
	if len(e.errs) == 0 {
		return nil
	}
	for _, err := range e.errs {
		if isOutage(err) {
			return err
		}
	}
	return e.errs[len(e.errs)-1]
}

package integration

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// assumeCall is one AssumeRole call as the SDK client made it.
type assumeCall struct {
	at          time.Time
	asked       int32 // the DurationSeconds the Provider asked for
	sent        int32 // the DurationSeconds that went on the wire
	accessKeyID string
	expiration  time.Time
	err         error
}

// recorder sees every AssumeRole call the Provider's STS client makes, from the SDK's
// Initialize step, so tests can count STS calls and tell who made them.
type recorder struct {
	shortenTo int32 // if > 0, the DurationSeconds sent instead of the one asked for

	mu    sync.Mutex
	calls []assumeCall
}

// apiOption installs r in a client's middleware stack; append it to aws.Config.APIOptions.
// It runs before serialization and signing, so a shortened request is still signed as sent.
func (r *recorder) apiOption(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awsstsIntegrationRecorder",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			ar, ok := in.Parameters.(*sts.AssumeRoleInput)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			c := assumeCall{at: time.Now(), asked: aws.ToInt32(ar.DurationSeconds)}
			c.sent = c.asked
			if r.shortenTo > 0 {
				short := *ar
				short.DurationSeconds = aws.Int32(r.shortenTo)
				in.Parameters = &short
				c.sent = r.shortenTo
			}
			out, md, err := next.HandleInitialize(ctx, in)
			c.err = err
			if res, ok := out.Result.(*sts.AssumeRoleOutput); ok && res.Credentials != nil {
				c.accessKeyID = aws.ToString(res.Credentials.AccessKeyId)
				c.expiration = aws.ToTime(res.Credentials.Expiration)
			}
			r.mu.Lock()
			r.calls = append(r.calls, c)
			r.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

func (r *recorder) snapshot() []assumeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]assumeCall(nil), r.calls...)
}

package credserver

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// tracker caps the connections a server holds. When a new one takes the count over max, the
// oldest that is idle or has not sent a byte is closed: a client with the token sends its
// request at once and is then active, so idle and silent connections cannot crowd it out.
type tracker struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connState
}

type connState struct {
	state http.ConnState
	since time.Time
}

func newTracker(max int) *tracker { return &tracker{max: max, conns: map[net.Conn]connState{}} }

func (t *tracker) update(c net.Conn, state http.ConnState) {
	t.mu.Lock()
	var evict net.Conn
	switch state {
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, c)
	default:
		t.conns[c] = connState{state, time.Now()}
		if state == http.StateNew && len(t.conns) > t.max {
			evict = t.oldestWaiting(c)
		}
	}
	t.mu.Unlock()
	if evict != nil {
		evict.Close()
	}
}

// oldestWaiting is the connection other than c that has waited longest without a request
// in progress, or nil.
func (t *tracker) oldestWaiting(c net.Conn) net.Conn {
	var oldest net.Conn
	var since time.Time
	for conn, st := range t.conns {
		if conn == c || st.state == http.StateActive {
			continue
		}
		if oldest == nil || st.since.Before(since) {
			oldest, since = conn, st.since
		}
	}
	if oldest != nil {
		delete(t.conns, oldest)
	}
	return oldest
}

package awssts

// CloseShared closes and forgets the Providers that Get made, so that a test leaves no
// prefetch goroutine behind.
func CloseShared() {
	shared.Lock()
	entries := shared.entries
	shared.entries, shared.order = nil, nil
	shared.Unlock()
	for _, e := range entries {
		<-e.ready
		if e.p != nil {
			e.p.Close()
		}
	}
}

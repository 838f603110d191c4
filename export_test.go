package awssts

// CloseShared closes and forgets the Providers that Get made, so that a test leaves no
// prefetch goroutine behind.
func CloseShared() {
	shared.Lock()
	providers := shared.providers
	shared.providers, shared.order = nil, nil
	shared.Unlock()
	for _, p := range providers {
		p.Close()
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/awssts/awssts/ststest"
)

// regionalSTS puts servers behind STS's own regional host names (sts.REGION.amazonaws.com),
// so that the SDK reaches them by region, with no BaseEndpoint: an HTTPS_PROXY that ends TLS
// with a certificate of a CA of its own, given to the SDK in AWS_CA_BUNDLE, and hands each
// request to the server of the host's region. It returns the variables that route through it.
func regionalSTS(t *testing.T, servers map[string]*ststest.Server) []string {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regionalSTS CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sts"},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	targets := map[string]*url.URL{}
	for region, srv := range servers {
		host := "sts." + region + ".amazonaws.com"
		leaf.DNSNames = append(leaf.DNSNames, host)
		targets[host], _ = url.Parse(srv.URL)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, bundle, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))

	conns := &connListener{conns: make(chan net.Conn)}
	inner := &http.Server{
		Handler: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			host, _, _ := net.SplitHostPort(r.In.Host)
			if host == "" {
				host = r.In.Host
			}
			if target := targets[host]; target != nil {
				r.SetURL(target)
			}
			r.Out.Host = r.In.Host // the signature covers it
		}},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}},
	}
	go inner.ServeTLS(conns, "", "")
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		conns.push(c)
	}))
	t.Cleanup(func() {
		proxy.Close()
		inner.Close()
	})
	return []string{"HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL, "NO_PROXY=", "no_proxy=", "AWS_CA_BUNDLE=" + bundle}
}

// connListener is a net.Listener of the connections that the proxy hands it.
type connListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
	mu    sync.Mutex
}

func (l *connListener) init() { l.once.Do(func() { l.done = make(chan struct{}) }) }

func (l *connListener) push(c net.Conn) {
	l.init()
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	l.init()
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.init()
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// maxPEMFile bounds what is read of a certificate or key file; real ones are a few KiB.
const maxPEMFile = 1 << 20

// readPEMFile reads the file that flag names: a regular file, opened without waiting (a FIFO
// is refused, never waited on), and at most maxPEMFile bytes. Symlinks are followed: key
// files often are one (certbot's live directory, mounted secrets).
func readPEMFile(flag, name string) ([]byte, os.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, usagef("%s %s: %v", flag, name, pathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, nil, usagef("%s %s: %v", flag, name, pathErr(err))
	case !fi.Mode().IsRegular():
		return nil, nil, usagef("%s %s: not a regular file (%v)", flag, name, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	switch {
	case err != nil:
		return nil, nil, usagef("%s %s: %v", flag, name, pathErr(err))
	case len(b) > maxPEMFile:
		return nil, nil, usagef("%s %s: larger than %d bytes; a PEM certificate or key is a few KiB", flag, name, maxPEMFile)
	}
	return b, fi, nil
}

func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// readCertificates reads every CERTIFICATE block of the PEM file that flag names.
func readCertificates(flag, name string) ([]*x509.Certificate, error) {
	b, _, err := readPEMFile(flag, name)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, usagef("%s %s: certificate %d: %v", flag, name, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, usagef("%s %s: no CERTIFICATE in it: want PEM (-----BEGIN CERTIFICATE-----)", flag, name)
	}
	return certs, nil
}

// readPrivateKey reads the key of the PEM file that --private-key names: PKCS#8 (PRIVATE
// KEY), PKCS#1 (RSA PRIVATE KEY) or SEC1 (EC PRIVATE KEY). A file that others may read draws
// a warning on warn, as ssh gives. No error or warning shows any of the file's content.
func readPrivateKey(name string, warn io.Writer) (crypto.Signer, error) {
	const flag = "--private-key"
	b, fi, err := readPEMFile(flag, name)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		fmt.Fprintf(warn, "awssts: warning: %s %s is readable by others (mode %v): chmod 600 it, as ssh asks of private keys\n", flag, name, perm)
	}
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		if strings.Contains(block.Type, "ENCRYPTED") || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, usagef("%s %s: the key is encrypted, and awssts reads unencrypted keys only: decrypt it into a file of mode 0600 (openssl pkey -in ENCRYPTED -out KEY)", flag, name)
		}
		var key any
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue // EC PARAMETERS, a certificate kept with its key, …
		}
		clear(block.Bytes)
		if err != nil {
			return nil, usagef("%s %s: the %s block does not parse", flag, name, block.Type)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, usagef("%s %s: a %T cannot sign", flag, name, key)
		}
		return signer, nil
	}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		return nil, usagef("%s %s: no private key in it: want PRIVATE KEY (PKCS#8), RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1)", flag, name)
	}
	return nil, usagef("%s %s: no PEM private key in it: want PRIVATE KEY (PKCS#8), RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1); convert DER with openssl pkey -inform DER", flag, name)
}

package clientcache_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/clientcache/clientcache"

	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// anonymousHTTPClient returns the HTTP client of an anonymous identity's
// pool in a cache of its own, and a func releasing that pool (DeleteConfig:
// its last holder).
func anonymousHTTPClient(t *testing.T) (*http.Client, func()) {
	t.Helper()
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.HTTPClient.(*http.Client), func() {
		if !c.DeleteConfig(cfgKey) {
			t.Fatal("the config was not cached")
		}
	}
}

// TestReleasedPoolKeepsAProtocolSwitchOpenAfterItsReadSideEnds: the body of
// a protocol switch (101) is the connection, and reading it to its end (the
// peer half-closed its side) does not end the exchange: the caller may still
// write. A kept client's switched connection must not be closed because the
// pool was released and the read side ended.
func TestReleasedPoolKeepsAProtocolSwitchOpenAfterItsReadSideEnds(t *testing.T) {
	got := make(chan string, 1)
	srv, _ := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nbye\n")
		_ = brw.Flush()
		_ = conn.(*net.TCPConn).CloseWrite() // the server is done talking, still listening
		line, _ := brw.ReadString('\n')
		got <- line
	})
	hc, release := anonymousHTTPClient(t)
	release() // the caller kept hc
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	rw := resp.Body.(io.ReadWriteCloser)
	all, err := io.ReadAll(rw)
	if err != nil || string(all) != "bye\n" {
		t.Fatalf("read %q, %v", all, err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := io.WriteString(rw, "last words\n"); err != nil {
		t.Fatalf("writing to a switched connection after its read side ended: %v", err)
	}
	select {
	case line := <-got:
		if line != "last words\n" {
			t.Fatalf("the server received %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server received nothing")
	}
}

// TestKeptClientUnderReleaseStress: uploads and downloads of a kept
// client running on while the pool is released, over HTTP/1.1 and HTTP/2:
// none may fail, and nothing stays open once they are done.
func TestKeptClientUnderReleaseStress(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if r.Method == http.MethodGet {
					_, _ = w.Write(bytes.Repeat([]byte("x"), 3000))
				}
			}
			srv, open := startConnCountingServer(t, h, h2)
			var ca []byte
			if h2 {
				ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			}
			c, err := clientcache.New(clientcache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cl := pathStyleS3Client(t, c, "AKIDSTRESS", ca, srv.URL)
			ctx := context.Background()
			var wg sync.WaitGroup
			var failed atomic.Int64
			start := make(chan struct{})
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := range 30 {
						var err error
						if (w+i)%2 == 0 {
							_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"),
								Key: aws.String("k"), Body: strings.NewReader(strings.Repeat("p", 5000))})
						} else {
							var out *s3.GetObjectOutput
							out, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k")})
							if err == nil {
								_, err = io.Copy(io.Discard, out.Body)
								out.Body.Close()
							}
						}
						if err != nil {
							if failed.Add(1) == 1 {
								t.Errorf("a request of the kept client: %v", err)
							}
						}
					}
				}()
			}
			close(start)
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			testwait.Until(t, "no connection open", func() bool { return open.Load() == 0 })
		})
	}
}

// TestReleasedPoolOddRequests: after release, a kept HTTP client's HEAD,
// 204, 304, 307-with-body, body read to EOF but never closed, and
// cancelled-mid-body requests succeed (or fail only by their own cancel)
// and leave nothing open, over HTTP/1.1 and HTTP/2.
func TestReleasedPoolOddRequests(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				switch r.URL.Path {
				case "/204":
					w.WriteHeader(http.StatusNoContent)
				case "/304":
					w.WriteHeader(http.StatusNotModified)
				case "/307":
					w.Header().Set("Location", "/echo")
					w.WriteHeader(http.StatusTemporaryRedirect)
				case "/echo":
					_, _ = w.Write(b)
				case "/slow":
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				default:
					_, _ = w.Write([]byte("hello"))
				}
			}, h2)
			hc, release := anonymousHTTPClient(t)
			if h2 {
				// trust httptest's certificate through a cache of the CA
				ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
				c, err := clientcache.New(clientcache.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: ca, Credentials: keys.AnonymousCredentials()})
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := c.Config(context.Background(), k)
				if err != nil {
					t.Fatal(err)
				}
				hc = cfg.HTTPClient.(*http.Client)
				release = func() { c.DeleteConfig(k) }
			}
			release()
			do := func(method, path string, body io.Reader) (*http.Response, error) {
				req, err := http.NewRequest(method, srv.URL+path, body)
				if err != nil {
					t.Fatal(err)
				}
				return hc.Do(req)
			}
			for _, p := range []string{"/204", "/304", "/"} {
				for _, m := range []string{http.MethodHead, http.MethodGet} {
					resp, err := do(m, p, nil)
					if err != nil {
						t.Fatalf("%s %s: %v", m, p, err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					testwait.Until(t, m+" "+p+": no connection open", func() bool { return open.Load() == 0 })
				}
			}
			resp, err := do(http.MethodPut, "/307", strings.NewReader("payload"))
			if err != nil {
				t.Fatalf("307: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "payload" {
				t.Fatalf("307: echoed %q (%d)", b, resp.StatusCode)
			}
			testwait.Until(t, "307: no connection open", func() bool { return open.Load() == 0 })

			resp, err = do(http.MethodGet, "/", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.ReadAll(resp.Body) // never closed
			testwait.Until(t, "read to EOF, not closed: no connection open", func() bool { return open.Load() == 0 })

			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
			resp, err = hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if h2 != (resp.ProtoMajor == 2) {
				t.Fatalf("the request used %s: the test proves nothing", resp.Proto)
			}
			cancel()
			_, err = io.ReadAll(resp.Body)
			if err == nil {
				t.Fatal("cancelled read: no error")
			}
			testwait.Until(t, "cancelled mid-body: no connection open", func() bool { return open.Load() == 0 })
			resp.Body.Close()
		})
	}
}

// fullDuplexH2Server is a minimal HTTP/2 server that answers each request
// (200, END_STREAM on the head) as soon as its head arrives, then goes on
// reading the request body (full duplex, as golang.org/issue/13444 allows),
// and sends on got the body bytes each stream carried once it ends or the
// connection fails.
func fullDuplexH2Server(t *testing.T) (url string, ca []byte, got <-chan string) {
	t.Helper()
	cert := httptest.NewUnstartedServer(nil)
	cert.StartTLS()
	certs := cert.TLS.Certificates
	ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate().Raw})
	cert.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: certs, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				bodies := map[uint32]*bytes.Buffer{}
				defer func() {
					for _, b := range bodies {
						ch <- b.String()
					}
				}()
				frame := func(typ, flags byte, stream uint32, payload []byte) {
					h := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags,
						byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
					_, _ = conn.Write(append(h, payload...))
				}
				preface := make([]byte, 24)
				if _, err := io.ReadFull(conn, preface); err != nil {
					return
				}
				frame(4, 0, 0, nil) // SETTINGS
				for {
					h := make([]byte, 9)
					if _, err := io.ReadFull(conn, h); err != nil {
						return
					}
					n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
					typ, flags := h[3], h[4]
					stream := (uint32(h[5])<<24 | uint32(h[6])<<16 | uint32(h[7])<<8 | uint32(h[8])) &^ (1 << 31)
					p := make([]byte, n)
					if _, err := io.ReadFull(conn, p); err != nil {
						return
					}
					switch typ {
					case 4: // SETTINGS
						if flags&1 == 0 {
							frame(4, 1, 0, nil)
						}
					case 1: // HEADERS: answer at once, 200 with END_STREAM
						bodies[stream] = new(bytes.Buffer)
						frame(1, 0x4|0x1, stream, []byte{0x88})
					case 0: // DATA
						if b := bodies[stream]; b != nil {
							b.Write(p)
							if flags&1 != 0 {
								ch <- b.String()
								delete(bodies, stream)
							}
						}
					case 6: // PING
						if flags&1 == 0 {
							frame(6, 1, 0, p)
						}
					}
				}
			}()
		}
	}()
	return "https://" + ln.Addr().String(), ca, ch
}

// TestReleasedPoolLetsAFullDuplexUploadFinish: over HTTP/2, a server may
// answer (2xx, its stream ended) before it has read the request body, and
// net/http goes on sending that body (full duplex). The request is not done
// until its body is sent: a released pool must not cut the upload of a
// kept client short.
func TestReleasedPoolLetsAFullDuplexUploadFinish(t *testing.T) {
	for _, released := range []bool{false, true} {
		t.Run(fmt.Sprintf("released=%v", released), func(t *testing.T) {
			url, ca, got := fullDuplexH2Server(t)
			c := newClientCache(t, clientcache.Options{})
			k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: ca, Credentials: keys.AnonymousCredentials()})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Config(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			if released {
				c.DeleteConfig(k)
			}
			pr, pw := io.Pipe()
			req, err := http.NewRequest(http.MethodPut, url+"/stream", pr)
			if err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = pw.Write([]byte("first,")) }()
			resp, err := cfg.HTTPClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
				t.Fatalf("%s %d: the test proves nothing", resp.Proto, resp.StatusCode)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			time.Sleep(50 * time.Millisecond)
			_, werr := pw.Write([]byte("second"))
			pw.Close()
			select {
			case b := <-got:
				if b != "first,second" {
					t.Fatalf("the server received %q (the last write: %v)", b, werr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the server received nothing")
			}
		})
	}
}

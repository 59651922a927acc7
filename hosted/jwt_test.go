package hosted

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/server"
)

const (
	issuer   = "https://auth.example.com"
	audience = "https://mcp.example.com/mcp"
)

// authServer is an authorization server's JWKS endpoint on loopback, with
// keys the test can rotate.
type authServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []jose.JSONWebKey // public
	fetches atomic.Int32
}

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fetches.Add(1)
		a.mu.Lock()
		defer a.mu.Unlock()
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: a.keys})
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// key adds a new RSA key under kid and returns its private half.
func (a *authServer) key(t *testing.T, kid string) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"})
	return k
}

func sign(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims jwt.Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(sub string, exp time.Duration) jwt.Claims {
	now := time.Now()
	return jwt.Claims{Issuer: issuer, Audience: jwt.Audience{audience}, Subject: sub,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(exp))}
}

// TestJWT: access tokens signed by the JWKS's keys, for our issuer and
// audience, unexpired, name their sub; anything else is a 401.
func TestJWT(t *testing.T) {
	as := newAuthServer(t)
	k1 := as.key(t, "k1")
	v, err := newJWTVerifier(config.JWT{JWKSURL: as.srv.URL, Issuer: issuer, Audience: audience}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wrongIss, wrongAud, noSub := claims("alice", time.Hour), claims("alice", time.Hour), claims("", time.Hour)
	wrongIss.Issuer, wrongAud.Audience = "https://evil.example", jwt.Audience{"https://other.example/mcp"}
	noExp := claims("alice", time.Hour)
	noExp.Expiry = nil
	tests := []struct {
		name, token, want string
	}{
		{"valid", sign(t, k1, jose.RS256, "k1", claims("alice", time.Hour)), "jwt:alice"},
		{"expired", sign(t, k1, jose.RS256, "k1", claims("alice", -2*time.Minute)), "token is expired"},
		{"within the leeway", sign(t, k1, jose.RS256, "k1", claims("alice", -30*time.Second)), "jwt:alice"},
		{"other issuer", sign(t, k1, jose.RS256, "k1", wrongIss), "invalid issuer"},
		{"other audience", sign(t, k1, jose.RS256, "k1", wrongAud), "invalid audience"},
		{"no sub", sign(t, k1, jose.RS256, "k1", noSub), "needs exp and sub"},
		{"no exp", sign(t, k1, jose.RS256, "k1", noExp), "needs exp and sub"},
		{"key not in the set", sign(t, other, jose.RS256, "k1", claims("alice", time.Hour)), "no key of"},
		{"symmetric algorithm", sign(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, "k1", claims("alice", time.Hour)), "unexpected signature algorithm"},
		{"ES256 with an unknown kid", sign(t, ec, jose.ES256, "k9", claims("alice", time.Hour)), "no key of"},
		{"not a JWT", "a.b.c", "the bearer token is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.verify(t.Context(), tt.token)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestJWKSRotation: a token signed by a key the cached set lacks refetches
// the set (at most every jwksMinRefresh), so rotated keys work.
func TestJWKSRotation(t *testing.T) {
	as := newAuthServer(t)
	k1 := as.key(t, "k1")
	v, _ := newJWTVerifier(config.JWT{JWKSURL: as.srv.URL, Issuer: issuer, Audience: audience}, nil)
	now := time.Now()
	v.now = func() time.Time { return now }
	if _, err := v.verify(t.Context(), sign(t, k1, jose.RS256, "k1", claims("a", time.Hour))); err != nil {
		t.Fatal(err)
	}
	k2 := as.key(t, "k2")
	tok := sign(t, k2, jose.RS256, "k2", claims("a", time.Hour))
	if _, err := v.verify(t.Context(), tok); err == nil {
		t.Error("a new key was fetched within jwksMinRefresh of the last fetch")
	}
	now = now.Add(jwksMinRefresh + time.Second)
	if _, err := v.verify(t.Context(), tok); err != nil {
		t.Errorf("after rotation: %v", err)
	}
	if n := as.fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

// TestJWTOverHTTP: the 401 points at the protected-resource metadata (RFC
// 9728), which names the issuer; a valid JWT is served.
func TestJWTOverHTTP(t *testing.T) {
	as := newAuthServer(t)
	k1 := as.key(t, "k1")
	c := config.Codemode{Auth: &config.Auth{JWT: &config.JWT{JWKSURL: as.srv.URL, Issuer: issuer, Audience: audience}}}
	reg := stepRegistry(t, &fixture{started: make(chan struct{}, 10), cancelled: make(chan time.Time, 10)})
	h, err := New(Options{Server: server.New(reg, server.Options{Limits: c}), Registry: reg, Config: c, Loopback: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	cl := &client{t: t, url: srv.URL + "/mcp", header: map[string]string{}}
	resp := cl.post(initialize)
	want := `Bearer realm="mcp-codemode", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource/mcp"`
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || got != want {
		t.Errorf("%s, WWW-Authenticate %q, want %q", resp.Status, got, want)
	}
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		r, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		_ = json.NewDecoder(r.Body).Decode(&doc)
		r.Body.Close()
		wantDoc := map[string]any{"resource": audience, "authorization_servers": []any{issuer},
			"bearer_methods_supported": []any{"header"}, "resource_name": "mcp-codemode"}
		if diff := cmp.Diff(wantDoc, doc); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	cl.token = sign(t, k1, jose.RS256, "k1", claims("alice", time.Hour))
	cl.initialize()
	if text := resultText(t, messages(t, cl.post(executeReq(1, `return 6*7`, "")))[0]); text != "42" {
		t.Errorf("execute with a JWT: %s", text)
	}
}

// TestJWTConfig: a jwt section lacking a key fails at start, naming it.
func TestJWTConfig(t *testing.T) {
	_, err := newAuthenticator(&config.Auth{JWT: &config.JWT{JWKSURL: "https://a.example/jwks", Issuer: issuer}}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "codemode.auth.jwt.audience is missing") {
		t.Errorf("error = %v", err)
	}
	_, err = newAuthenticator(&config.Auth{JWT: &config.JWT{JWKSURL: "ftp://a", Issuer: issuer, Audience: audience}}, nil)
	if err == nil || !strings.Contains(err.Error(), "is not an http(s) URL") {
		t.Errorf("error = %v", err)
	}
}

// TestJWKSHang: a JWKS endpoint that stops answering holds up no request
// whose key is cached. Requests with a key id the set lacks share one
// refresh and wait for it at most v.wait; another refresh starts at most
// jwksMinRefresh after the last; an old set is refreshed in the background.
func TestJWKSHang(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k1.PublicKey, KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) > 1 {
			<-release // every fetch but the first hangs until released
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	var once sync.Once
	unhang := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unhang) // before srv.Close, which waits for the hanging handlers
	v, _ := newJWTVerifier(config.JWT{JWKSURL: srv.URL, Issuer: issuer, Audience: audience}, nil)
	v.wait = 200 * time.Millisecond
	var mu sync.Mutex
	now := time.Now()
	v.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	known := sign(t, k1, jose.RS256, "k1", claims("alice", 2*time.Hour))
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	unknown := sign(t, k2, jose.RS256, "k2", claims("mallory", 2*time.Hour))
	verify := func(tok string) (time.Duration, error) {
		start := time.Now()
		_, err := v.verify(t.Context(), tok)
		return time.Since(start), err
	}
	if _, err := verify(known); err != nil {
		t.Fatal(err)
	}

	advance(jwksMinRefresh + time.Second) // from now on the endpoint hangs
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := verify(unknown)
			want := "the bearer token is not valid: no key of " + srv.URL + " verifies its signature"
			if err == nil || err.Error() != want || d > v.wait+2*time.Second {
				t.Errorf("an unknown key id while the JWKS hangs: %v after %v; want %q within about %v", err, d, want, v.wait)
			}
		}()
	}
	wg.Wait()
	d, err := verify(known)
	if err != nil || d > time.Second {
		t.Errorf("a known key id while the JWKS hangs: %v after %v; want it served from the cache at once", err, d)
	}
	t.Logf("while the JWKS hangs: a known key id verified in %v", d)
	advance(jwksMaxAge) // the set is old: refreshed in the background, still served
	if d, err := verify(known); err != nil || d > time.Second {
		t.Errorf("a known key id of an old set while the JWKS hangs: %v after %v", err, d)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2: the unknown key ids share one refresh", n)
	}

	unhang()
	waitFor(t, "the refresh to end", func() bool { v.mu.Lock(); defer v.mu.Unlock(); return v.refresh == nil })
	for i, want := range []int32{3, 3} { // the last fetch started an hour ago; the next within jwksMinRefresh
		if _, err := verify(unknown); err == nil || fetches.Load() != want {
			t.Errorf("unknown key id %d after the refresh: %v, %d fetches; want %d", i+1, err, fetches.Load(), want)
		}
	}
	advance(jwksMinRefresh + time.Second)
	if _, err := verify(unknown); err == nil || fetches.Load() != 4 {
		t.Errorf("an unknown key id jwksMinRefresh later: %v, %d fetches; want 4", err, fetches.Load())
	}
}

// TestJWKSDownAtStart: with no key set yet, a request waits for the fetch
// at most v.wait and says why it has no key: the fetch has not ended, or
// how the last one failed (also while the next waits for jwksMinRefresh).
func TestJWKSDownAtStart(t *testing.T) {
	release := make(chan struct{})
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	v, _ := newJWTVerifier(config.JWT{JWKSURL: srv.URL, Issuer: issuer, Audience: audience}, nil)
	v.wait = 100 * time.Millisecond
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok := sign(t, k, jose.RS256, "k1", claims("alice", time.Hour))
	start := time.Now()
	_, err := v.verify(t.Context(), tok)
	if want := "the JWKS " + srv.URL + " has not answered yet; retry in a few seconds"; err == nil || err.Error() != want {
		t.Errorf("the JWKS hanging: %v, want %q", err, want)
	}
	if d := time.Since(start); d > v.wait+testenv.Within(time.Second) {
		t.Errorf("waited %v for a hanging JWKS", d)
	}

	fail.Store(true)
	v2, _ := newJWTVerifier(config.JWT{JWKSURL: srv.URL, Issuer: issuer, Audience: audience}, nil)
	for range 2 { // the second within jwksMinRefresh: no fetch, the same story
		_, err = v2.verify(t.Context(), tok)
		if want := "fetching the JWKS " + srv.URL + ": 500 Internal Server Error"; err == nil || err.Error() != want {
			t.Errorf("the JWKS failing: %v, want %q", err, want)
		}
	}
}

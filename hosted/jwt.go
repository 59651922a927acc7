package hosted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// jwtVerifier checks OAuth 2.1 access tokens that are JWTs: signed by a key
// of the authorization server's JWKS, for the configured issuer and
// audience, and not expired.
type jwtVerifier struct {
	cfg    config.JWT
	client *http.Client
	now    func() time.Time

	wait time.Duration // how long a request waits for a refresh; jwksWait unless a test sets it

	mu      sync.Mutex
	keys    jose.JSONWebKeySet
	fetched time.Time // when keys were last fetched; zero before the first success
	tried   time.Time // when the last fetch started: refreshes are at most jwksMinRefresh apart
	refresh *refresh  // the fetch in flight, nil when none is
	failed  error     // why the last fetch failed; nil after a success
}

// refresh is one fetch of the JWKS, which every request that needs it
// shares; done closes when it ends.
type refresh struct {
	done chan struct{}
}

// Asymmetric algorithms only: a symmetric key in a published JWKS would let
// anyone sign.
var jwtAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

const (
	jwksMaxAge       = time.Hour        // keys are fetched again after this, in the background
	jwksMinRefresh   = 30 * time.Second // a fetch starts at most this often (an unknown key id asks for one)
	jwksWait         = 2 * time.Second  // the longest a request waits for a fetch
	jwksFetchTimeout = 10 * time.Second // the longest a fetch takes
	jwksMaxBytes     = 1 << 20
	jwtLeeway        = time.Minute // clock skew allowed on exp and nbf
)

func newJWTVerifier(cfg config.JWT, client *http.Client) (*jwtVerifier, error) {
	for key, v := range map[string]string{"jwks_url": cfg.JWKSURL, "issuer": cfg.Issuer, "audience": cfg.Audience} {
		if v == "" {
			return nil, fmt.Errorf("codemode.auth.jwt.%s is missing: JWT access tokens are checked against "+
				"jwks_url (the authorization server's key set), issuer and audience (this server's URL)", key)
		}
	}
	if u, err := url.Parse(cfg.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("codemode.auth.jwt.jwks_url %q is not an http(s) URL", cfg.JWKSURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &jwtVerifier{cfg: cfg, client: client, now: time.Now, wait: jwksWait}, nil
}

// verify returns the subject of a valid token: "jwt:" and its sub claim.
func (v *jwtVerifier) verify(ctx context.Context, raw string) (string, error) {
	tok, err := jwt.ParseSigned(raw, jwtAlgorithms)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBadToken, err)
	}
	var claims jwt.Claims
	if err := v.claims(ctx, tok, &claims); err != nil {
		return "", err
	}
	expected := jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}, Time: v.now()}
	if err := claims.ValidateWithLeeway(expected, jwtLeeway); err != nil {
		return "", fmt.Errorf("%w: %v", errBadToken, err)
	}
	if claims.Expiry == nil || claims.Subject == "" {
		return "", fmt.Errorf("%w: an access token needs exp and sub claims", errBadToken)
	}
	return "jwt:" + claims.Subject, nil
}

// claims checks the signature with the key the token names and decodes
// its claims. A key id not in the cached set refreshes it (at most every
// jwksMinRefresh), so keys the server rotates in are picked up.
func (v *jwtVerifier) claims(ctx context.Context, tok *jwt.JSONWebToken, dest *jwt.Claims) error {
	kid := tok.Headers[0].KeyID
	keys, err := v.keySet(ctx, kid)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if kid != "" && k.KeyID != kid || !k.IsPublic() {
			continue
		}
		if err := tok.Claims(k.Key, dest); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no key of %s verifies its signature", errBadToken, v.cfg.JWKSURL)
}

// keySet returns the keys to check a token signed with kid. A hanging or
// failing JWKS endpoint must not hold up requests whose key is known: they
// are served from the cached set, and an old set is refreshed in the
// background. A kid the set lacks (or no set yet) starts a refresh, at
// most every jwksMinRefresh, which every request that needs it shares; a
// request waits for it at most v.wait, and then goes on with what it has.
func (v *jwtVerifier) keySet(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	v.mu.Lock()
	known := !v.fetched.IsZero() && (kid == "" || len(v.keys.Key(kid)) > 0)
	if known {
		if v.now().Sub(v.fetched) > jwksMaxAge {
			v.startRefresh()
		}
		keys := v.keys.Keys
		v.mu.Unlock()
		return keys, nil
	}
	ref := v.startRefresh()
	v.mu.Unlock()
	if ref != nil {
		v.await(ctx, ref)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fetched.IsZero() {
		return nil, v.unavailable()
	}
	return v.keys.Keys, nil
}

// startRefresh starts a fetch unless one is in flight or the last started
// less than jwksMinRefresh ago, and returns the fetch in flight, if any;
// v.mu must be held.
func (v *jwtVerifier) startRefresh() *refresh {
	if v.refresh != nil || !v.tried.IsZero() && v.now().Sub(v.tried) < jwksMinRefresh {
		return v.refresh
	}
	v.tried = v.now()
	ref := &refresh{done: make(chan struct{})}
	v.refresh = ref
	go v.run(ref)
	return ref
}

// run fetches the JWKS for ref, within jwksFetchTimeout, whoever waits.
func (v *jwtVerifier) run(ref *refresh) {
	ctx, cancel := context.WithTimeout(context.Background(), jwksFetchTimeout)
	defer cancel()
	set, err := v.fetch(ctx)
	v.mu.Lock()
	if err == nil {
		v.keys, v.fetched = set, v.now()
	}
	v.failed = err
	v.refresh = nil
	v.mu.Unlock()
	close(ref.done)
}

// await waits for ref to end, at most v.wait and while ctx lasts.
func (v *jwtVerifier) await(ctx context.Context, ref *refresh) {
	t := time.NewTimer(v.wait)
	defer t.Stop()
	select {
	case <-ref.done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// unavailable is the error of a request that found no key set: why the
// last fetch failed, or that it has not ended; v.mu must be held.
func (v *jwtVerifier) unavailable() error {
	if v.failed != nil {
		return v.failed
	}
	return fmt.Errorf("the JWKS %s has not answered yet; retry in a few seconds", v.cfg.JWKSURL)
}

// fetch loads the JWKS.
func (v *jwtVerifier) fetch(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return set, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return set, fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, fmt.Errorf("fetching the JWKS %s: %s", v.cfg.JWKSURL, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, jwksMaxBytes)).Decode(&set); err != nil {
		return set, fmt.Errorf("reading the JWKS %s: %w", v.cfg.JWKSURL, err)
	}
	if len(set.Keys) == 0 {
		return set, errors.New("the JWKS " + v.cfg.JWKSURL + " has no keys")
	}
	return set, nil
}

// resourceMetadata serves the OAuth 2.0 Protected Resource Metadata (RFC
// 9728): which authorization server issues tokens for this server.
func (h *Handler) resourceMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=3600")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"resource":                 h.resourceURL(r),
		"authorization_servers":    []string{h.auth.jwt.cfg.Issuer},
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "mcp-codemode",
	})
}

// resourceURL is this server's identifier for tokens: the audience when it
// is a URL (as RFC 8707 resource indicators are), else the MCP endpoint's URL.
func (h *Handler) resourceURL(r *http.Request) string {
	if u, err := url.Parse(h.auth.jwt.cfg.Audience); err == nil && u.Scheme != "" && u.Host != "" {
		return h.auth.jwt.cfg.Audience
	}
	return origin(r) + h.endpointPath()
}

// metadataURL is where resourceMetadata is served, with the resource's
// path appended as RFC 9728 §3.1 describes.
func (h *Handler) metadataURL(r *http.Request) string {
	return origin(r) + "/.well-known/oauth-protected-resource" + h.endpointPath()
}

func (h *Handler) endpointPath() string {
	if h.opts.Transport == SSE {
		return "/sse"
	}
	return "/mcp"
}

// origin is the scheme and host the client used to reach this server.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

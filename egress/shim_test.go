package egress

import (
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestShim checks the WHATWG classes without the network: each expression
// and the JSON of its value.
func TestShim(t *testing.T) {
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{{Host: "api.test"}}}, Options{})
	tests := []struct{ code, want string }{
		// The binding is gone; the globals are there, not enumerable.
		{`[typeof __codemode_fetch, typeof fetch, typeof Request, typeof Response, typeof Headers, typeof URL, typeof URLSearchParams]`,
			`["undefined","function","function","function","function","function","function"]`},
		{`Object.keys(globalThis).filter(k => ["fetch", "URL", "Headers"].includes(k))`, `[]`},

		// URL
		{`new URL("HTTPS://Example.COM:443/a/./b/../c?x=1#f").href`, `"https://example.com/a/c?x=1#f"`},
		{`new URL("/p?q", "http://h:8080/x/y").href`, `"http://h:8080/p?q"`},
		{`new URL("../z", "http://h/a/b/c").href`, `"http://h/a/z"`},
		{`new URL("?y=2", "http://h/a?x=1#f").href`, `"http://h/a?y=2"`},
		{`new URL("#g", "http://h/a?x=1#f").href`, `"http://h/a?x=1#g"`},
		{`new URL("//other/p", "https://h/a").href`, `"https://other/p"`},
		{`new URL("http:\\\\h\\a\\b").href`, `"http://h/a/b"`},
		{`new URL("http://h/a b/é?q=a b&r=é#x y").href`, `"http://h/a%20b/%C3%A9?q=a%20b&r=%C3%A9#x%20y"`},
		{`[new URL("http://0x7f.1/").host, new URL("http://2130706433:80/").host, new URL("http://0177.0.0.1:81/").host]`, `["127.0.0.1","127.0.0.1","127.0.0.1:81"]`},
		{`const u = new URL("https://u:p@h:8443/p?q=1#h"); [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin]`,
			`["https:","u","p","h:8443","h","8443","/p","?q=1","#h","https://h:8443"]`},
		{`const u = new URL("http://h/"); u.pathname = "/a b"; u.search = "x=1"; u.hash = "top"; u.port = "8080"; u.hostname = "Other"; u.href`, `"http://other:8080/a%20b?x=1#top"`},
		{`const u = new URL("http://h/?a=1"); u.searchParams.append("q", "a b&c"); u.searchParams.set("a", "2"); [u.href, u.search]`, `["http://h/?a=2&q=a+b%26c","?a=2&q=a+b%26c"]`},
		{`const u = new URL("http://h/?a=1"); const p = u.searchParams; u.search = "?b=2"; p.get("b")`, `"2"`},
		{`[URL.canParse("nope"), URL.canParse("/x", "http://h"), URL.parse("nope"), String(new URL("mailto:a@b.c"))]`, `[false,true,null,"mailto:a@b.c"]`},
		{`try { new URL("http://exämple.com/") } catch (e) { e.name + ": " + e.message }`, `"TypeError: Invalid URL: http://exämple.com/"`},
		{`try { new URL("nope") } catch (e) { e instanceof TypeError }`, `true`},
		{`JSON.stringify({ u: new URL("http://h/x") })`, `"{\"u\":\"http://h/x\"}"`},

		// URLSearchParams
		{`new URLSearchParams({ a: "1", b: "x y", c: "é&=" }).toString()`, `"a=1&b=x+y&c=%C3%A9%26%3D"`},
		{`const p = new URLSearchParams("?a=%C3%A9&b=+&a=2&c"); [p.get("a"), p.getAll("a"), p.get("b"), p.get("c"), p.get("z"), p.has("a", "2"), p.size]`,
			`["é",["é","2"]," ","",null,true,4]`},
		{`const p = new URLSearchParams([["b", "2"], ["a", "1"], ["b", "1"]]); p.sort(); [...p]`, `[["a","1"],["b","2"],["b","1"]]`},
		{`const p = new URLSearchParams("a=1&b=2&a=3"); p.delete("a"); p.toString()`, `"b=2"`},
		{`const p = new URLSearchParams("a=1&a=2"); p.set("a", "x"); [...p.keys(), ...p.values()]`, `["a","x"]`},
		{`const out = []; new URLSearchParams("a=1&b=2").forEach((v, k) => out.push(k + v)); out`, `["a1","b2"]`},

		// Headers
		{`const h = new Headers({ "Content-Type": "text/plain" }); h.append("X-A", "1"); h.append("x-a", " 2 "); [h.get("content-type"), h.get("X-A"), h.has("x-b"), [...h]]`,
			`["text/plain","1, 2",false,[["content-type","text/plain"],["x-a","1, 2"]]]`},
		{`const h = new Headers([["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]); [h.getSetCookie(), [...h.keys()]]`, `[["a=1","b=2"],["set-cookie","set-cookie"]]`},
		{`const h = new Headers(new Headers({ a: "1" })); h.set("A", "2"); h.delete("b"); h`, `{"a":"2"}`},
		{`try { new Headers({ "bad name": "x" }) } catch (e) { e.name + ": " + e.message }`, `"TypeError: Headers: \"bad name\" is not a valid header name"`},
		{`try { new Headers({ a: "x\r\ny: z" }) } catch (e) { e.message }`, `"Headers: a header value cannot contain a line break or NUL"`},

		// Request
		{`const r = new Request("http://h/a#frag", { method: "post", body: "b", headers: { "X-A": "1" } }); [r.method, r.url, r.headers.get("content-type"), r.redirect, await r.text(), r.bodyUsed]`,
			`["POST","http://h/a","text/plain;charset=UTF-8","follow","b",true]`},
		{`const r = new Request(new Request("http://h/", { method: "PUT", body: "x" })); [r.method, await r.text()]`, `["PUT","x"]`},
		{`try { new Request("http://h/", { body: "x" }) } catch (e) { e.message }`, `"fetch: a GET request cannot have a body"`},
		{`try { new Request("http://h/", { redirect: "never" }) } catch (e) { e.message }`, `"fetch: redirect must be \"follow\", \"error\" or \"manual\""`},
		{`new Request("http://h/", { method: "delete" }).method + new Request("http://h/", { method: "Custom" }).method`, `"DELETECustom"`},

		// Response
		{`const r = new Response("héllo 😀"); [r.status, r.ok, r.headers.get("content-type"), (await r.arrayBuffer()).byteLength]`, `[200,true,"text/plain;charset=UTF-8",11]`},
		{`const r = new Response(new Uint8Array([0xf0, 0x9f, 0x98, 0x80, 0xff, 0x41])); await r.text()`, `"😀�A"`},
		{`const r = Response.json({ a: [1] }, { status: 201 }); [r.status, r.headers.get("content-type"), await r.json()]`, `[201,"application/json",{"a":[1]}]`},
		{`const r = new Response(null, { status: 204, statusText: "No Content" }); [r.status, r.statusText, await r.text()]`, `[204,"No Content",""]`},
		{`try { new Response("", { status: 99 }) } catch (e) { e.name }`, `"RangeError"`},
		{`try { await new Response("{").json() } catch (e) { e.name }`, `"SyntaxError"`},
		{`const r = new Response("x"); const c = r.clone(); [await r.text(), await c.text()]`, `["x","x"]`},
		{`[Response.error().type, Response.error().status, Response.redirect("http://h/x", 301).headers.get("location")]`, `["error",0,"http://h/x"]`},
		{`const r = new Response("x", { status: 201, headers: { a: "1" } }); r`, `{"status":201,"statusText":"","ok":true,"url":"","headers":{"a":"1","content-type":"text/plain;charset=UTF-8"}}`},
		{`try { await new Response("x").blob() } catch (e) { e.message }`, `"Blob is not available here; use arrayBuffer() or text()"`},
		{`Object.prototype.toString.call(new Headers()) + Object.prototype.toString.call(new URL("http://h"))`, `"[object Headers][object URL]"`},
	}
	for _, tt := range tests {
		res, _ := run(t, c, tt.code)
		got := string(res.Value)
		if res.Err != nil {
			got = res.Err.Error()
		}
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

// TestShimErrorPosition: a refused fetch points at the model's own line.
func TestShimErrorPosition(t *testing.T) {
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{{Host: "api.test"}}}, Options{})
	res, _ := run(t, c, "const x = 1;\nawait fetch(\"https://other.test/\");")
	if res.Err == nil || res.Err.Line != 2 || !strings.HasPrefix(res.Err.Message, "fetch: GET https://other.test/ is not allowed") {
		t.Errorf("got %+v", res.Err)
	}
}

// The fetch shim: fetch, Request, Response and Headers as the WHATWG Fetch
// standard defines them, and URL and URLSearchParams when the runtime lacks
// them, built on one hidden binding that Go answers under the network
// policy. It runs in each fresh runtime before the model's code and takes
// the binding and deletes its global, so the code cannot reach it; the
// classes themselves are built when the code first uses one.
(function (global) {
	"use strict";
	var send = global.__codemode_fetch.request;
	delete global.__codemode_fetch;
	var defineProperty = Object.defineProperty, exported = null;

	function define(name, value) {
		defineProperty(global, name, { value: value, writable: true, configurable: true, enumerable: false });
	}

	// The classes are built on first use: most executions never fetch, and
	// building them costs more than the rest of a run's start.
	["fetch", "Request", "Response", "Headers", "URL", "URLSearchParams"].forEach(function (name) {
		if (typeof global[name] === "function") return; // the runtime has its own
		defineProperty(global, name, {
			get: function () {
				if (!exported) exported = build();
				define(name, exported[name]);
				return exported[name];
			},
			set: function (v) { define(name, v); },
			configurable: true,
			enumerable: false,
		});
	});

	// build returns the classes and fetch. It runs once per runtime, when
	// the code first touches one of the globals.
	function build() {
		var _Promise = Promise, _TypeError = TypeError, _RangeError = RangeError, _String = String;
		var _Uint8Array = Uint8Array, _ArrayBuffer = ArrayBuffer, _WeakMap = WeakMap;
		var isView = ArrayBuffer.isView, fromCharCode = String.fromCharCode, parseJSON = JSON.parse;
		var stringifyJSON = JSON.stringify, iteratorSymbol = Symbol.iterator, tagSymbol = Symbol.toStringTag;

		// Regular expressions are compiled once here: goja compiles a literal
		// each time it is evaluated.
		var re = {
			tabNewline: /[\t\n\r]/g,
			backslash: /\\/g,
			ipv6: /^[0-9a-fA-F:.]+$/,
			opaqueHostBad: /[\u0000\t\n\r #\/:<>?@[\\\]^|]/,
			afterColon: /:.*$/,
			protocol: /^[a-z][a-z0-9+.\-]*:$/,
			afterDigits: /[^0-9].*$/,
		};

		// ---- Characters: loops, not regular expressions, which goja is slow
		// to run on short strings ----

		function every(s, ok) {
			for (var i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false;
			return true;
		}

		function isDigit(c) { return c >= 48 && c <= 57; }

		function isOctal(c) { return c >= 48 && c <= 55; }

		function isAlpha(c) { return c >= 65 && c <= 90 || c >= 97 && c <= 122; }

		function isHex(c) { return isDigit(c) || c >= 65 && c <= 70 || c >= 97 && c <= 102; }

		function isSchemeChar(c) { return isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46; }

		function isTokenChar(c) { return isAlpha(c) || isDigit(c) || c < 127 && "!#$%&'*+-.^_`|~".indexOf(fromCharCode(c)) >= 0; }

		function isToken(s) { return s !== "" && every(s, isTokenChar); }

		// isHostChar: ASCII other than controls, space and the forbidden
		// host code points of the URL standard.
		function isHostChar(c) {
			return c > 32 && c < 127 && c !== 35 && c !== 37 && c !== 47 && c !== 58 && c !== 60 && c !== 62 &&
				c !== 63 && c !== 64 && c !== 91 && c !== 92 && c !== 93 && c !== 94 && c !== 124;
		}

		function isHexNumber(s) { return s.slice(0, 2) === "0x" && every(s.slice(2), isHex); }

		// firstOf returns the index of the first of chars in s, or -1.
		function firstOf(s, chars) {
			var best = -1;
			for (var i = 0; i < chars.length; i++) {
				var at = s.indexOf(chars.charAt(i));
				if (at >= 0 && (best < 0 || at < best)) best = at;
			}
			return best;
		}

		function trimC0(s) {
			if (s.charCodeAt(0) > 32 && s.charCodeAt(s.length - 1) > 32) return s;
			var a = 0, b = s.length;
			while (a < b && s.charCodeAt(a) <= 32) a++;
			while (b > a && s.charCodeAt(b - 1) <= 32) b--;
			return s.slice(a, b);
		}

		function trimHTTPSpace(s) {
			var a = 0, b = s.length;
			while (a < b && " \t\n\r".indexOf(s.charAt(a)) >= 0) a++;
			while (b > a && " \t\n\r".indexOf(s.charAt(b - 1)) >= 0) b--;
			return s.slice(a, b);
		}

		function stripSlashes(s) {
			var i = 0;
			while (s.charAt(i) === "/") i++;
			return s.slice(i);
		}

		function plusToSpace(s) { return s.indexOf("+") < 0 ? s : s.split("+").join(" "); }

		// ---- Bytes: UTF-8 and base64 ----

		function utf8Encode(s) {
			var out = new _Uint8Array(s.length * 3), n = 0;
			for (var i = 0; i < s.length; i++) {
				var c = s.charCodeAt(i);
				if (c < 0x80) {
					out[n++] = c;
					continue;
				}
				if (c < 0x800) {
					out[n++] = 0xc0 | c >> 6;
					out[n++] = 0x80 | c & 63;
					continue;
				}
				if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
					var d = s.charCodeAt(i + 1);
					if (d >= 0xdc00 && d <= 0xdfff) {
						c = 0x10000 + (c - 0xd800 << 10) + (d - 0xdc00);
						i++;
						out[n++] = 0xf0 | c >> 18;
						out[n++] = 0x80 | c >> 12 & 63;
						out[n++] = 0x80 | c >> 6 & 63;
						out[n++] = 0x80 | c & 63;
						continue;
					}
				}
				if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate
				out[n++] = 0xe0 | c >> 12;
				out[n++] = 0x80 | c >> 6 & 63;
				out[n++] = 0x80 | c & 63;
			}
			return out.slice(0, n);
		}

		// utf8Decode replaces each invalid sequence by U+FFFD, as TextDecoder does.
		function utf8Decode(b) {
			var units = [], chunks = [];
			for (var i = 0; i < b.length;) {
				var c = b[i], need = 0, cp = 0xfffd, lower = 0x80, upper = 0xbf;
				if (c < 0x80) {
					cp = c;
					i++;
				} else {
					if (c >= 0xc2 && c <= 0xdf) need = 1, cp = c & 31;
					else if (c >= 0xe0 && c <= 0xef) need = 2, cp = c & 15, lower = c === 0xe0 ? 0xa0 : 0x80, upper = c === 0xed ? 0x9f : 0xbf;
					else if (c >= 0xf0 && c <= 0xf4) need = 3, cp = c & 7, lower = c === 0xf0 ? 0x90 : 0x80, upper = c === 0xf4 ? 0x8f : 0xbf;
					i++;
					if (need === 0) cp = 0xfffd;
					for (var k = 0; k < need; k++) {
						var x = b[i];
						if (i >= b.length || x < lower || x > upper) {
							cp = 0xfffd;
							break;
						}
						lower = 0x80, upper = 0xbf;
						cp = cp << 6 | x & 63;
						i++;
					}
				}
				if (cp >= 0x10000) {
					cp -= 0x10000;
					units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
				} else {
					units.push(cp);
				}
				if (units.length >= 8192) {
					chunks.push(fromCharCode.apply(null, units));
					units = [];
				}
			}
			chunks.push(fromCharCode.apply(null, units));
			return chunks.join("");
		}

		var b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		function base64Encode(b) {
			var parts = [], line = "";
			for (var i = 0; i < b.length; i += 3) {
				var n = b[i] << 16 | (i + 1 < b.length ? b[i + 1] << 8 : 0) | (i + 2 < b.length ? b[i + 2] : 0);
				line += b64.charAt(n >> 18 & 63) + b64.charAt(n >> 12 & 63) +
					(i + 1 < b.length ? b64.charAt(n >> 6 & 63) : "=") + (i + 2 < b.length ? b64.charAt(n & 63) : "=");
				if (line.length >= 8192) {
					parts.push(line);
					line = "";
				}
			}
			parts.push(line);
			return parts.join("");
		}

		function b64value(c) {
			return c >= 97 ? c - 71 : c >= 65 ? c - 65 : c >= 48 ? c + 4 : c === 43 ? 62 : 63;
		}

		function base64Decode(s) {
			while (s.charAt(s.length - 1) === "=") s = s.slice(0, -1);
			var out = new _Uint8Array(s.length * 3 >> 2), n = 0, acc = 0, bits = 0;
			for (var i = 0; i < s.length; i++) {
				acc = acc << 6 | b64value(s.charCodeAt(i));
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					out[n++] = acc >> bits & 255;
				}
			}
			return out;
		}

		// ---- Percent-encoding ----

		var hex = "0123456789ABCDEF";

		function pct(b) { return "%" + hex.charAt(b >> 4) + hex.charAt(b & 15); }

		// encodeSet percent-encodes the characters of s that are in set (a
		// string of ASCII characters), the C0 controls, and everything past '~'.
		function encodeSet(s, set) {
			var out = "";
			for (var i = 0; i < s.length; i++) {
				var c = s.charCodeAt(i);
				if (c > 0x20 && c < 0x7f && set.indexOf(s.charAt(i)) < 0) {
					out += s.charAt(i);
					continue;
				}
				var j = i + (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 1 : 0);
				var bytes = utf8Encode(s.slice(i, j + 1));
				for (var k = 0; k < bytes.length; k++) out += pct(bytes[k]);
				i = j;
			}
			return out;
		}

		var pathSet = ' "#<>?`{}', querySet = ' "#<>', specialQuerySet = " \"#<>'", fragmentSet = ' "<>`';
		var userinfoSet = pathSet + "/:;=@[\\]^|";

		function percentDecodeBytes(s) {
			var b = utf8Encode(s), out = new _Uint8Array(b.length), n = 0;
			for (var i = 0; i < b.length; i++) {
				if (b[i] === 0x25 && i + 2 < b.length && isHex(b[i + 1]) && isHex(b[i + 2])) {
					out[n++] = parseInt(fromCharCode(b[i + 1], b[i + 2]), 16);
					i += 2;
				} else {
					out[n++] = b[i];
				}
			}
			return out.slice(0, n);
		}

		function percentDecode(s) { return s.indexOf("%") < 0 ? s : utf8Decode(percentDecodeBytes(s)); }

		// ---- URLSearchParams ----

		function formEncode(s) {
			var b = utf8Encode(s), out = "";
			for (var i = 0; i < b.length; i++) {
				var c = b[i];
				if (c >= 48 && c <= 57 || c >= 65 && c <= 90 || c >= 97 && c <= 122 || c === 42 || c === 45 || c === 46 || c === 95) out += fromCharCode(c);
				else out += c === 32 ? "+" : pct(c);
			}
			return out;
		}

		function parseForm(s) {
			var out = [];
			s.split("&").forEach(function (part) {
				if (part === "") return;
				var eq = part.indexOf("=");
				var name = eq < 0 ? part : part.slice(0, eq), value = eq < 0 ? "" : part.slice(eq + 1);
				out.push([percentDecode(plusToSpace(name)), percentDecode(plusToSpace(value))]);
			});
			return out;
		}

		function toUSVString(v) { return _String(v); }

		var paramsState = new _WeakMap(); // URLSearchParams → {list, url}

		function params(p) {
			var st = paramsState.get(p);
			if (!st) throw new _TypeError("Illegal invocation: not a URLSearchParams");
			return st;
		}

		function pairsOf(init, what) {
			var out = [];
			if (typeof init[iteratorSymbol] === "function") {
				for (var pair of init) {
					var p = Array.from(pair);
					if (p.length !== 2) throw new _TypeError(what + ": each pair needs exactly two items, a name and a value");
					out.push([toUSVString(p[0]), toUSVString(p[1])]);
				}
				return out;
			}
			Object.keys(init).forEach(function (k) { out.push([k, toUSVString(init[k])]); });
			return out;
		}

		class URLSearchParams {
			constructor(init) {
				var st = { list: [], url: null };
				paramsState.set(this, st);
				if (init === undefined || init === null) return;
				if (typeof init === "object" || typeof init === "function") {
					st.list = init instanceof URLSearchParams ? params(init).list.map(function (p) { return p.slice(); })
						: pairsOf(init, "URLSearchParams");
					return;
				}
				init = toUSVString(init);
				st.list = parseForm(init.charAt(0) === "?" ? init.slice(1) : init);
			}
			get size() { return params(this).list.length; }
			append(name, value) {
				params(this).list.push([toUSVString(name), toUSVString(value)]);
				sync(this);
			}
			delete(name, value) {
				var st = params(this);
				name = toUSVString(name);
				st.list = st.list.filter(function (p) { return p[0] !== name || value !== undefined && p[1] !== toUSVString(value); });
				sync(this);
			}
			get(name) {
				name = toUSVString(name);
				var p = params(this).list.find(function (p) { return p[0] === name; });
				return p ? p[1] : null;
			}
			getAll(name) {
				name = toUSVString(name);
				return params(this).list.filter(function (p) { return p[0] === name; }).map(function (p) { return p[1]; });
			}
			has(name, value) {
				name = toUSVString(name);
				return params(this).list.some(function (p) { return p[0] === name && (value === undefined || p[1] === toUSVString(value)); });
			}
			set(name, value) {
				var st = params(this), found = false;
				name = toUSVString(name);
				value = toUSVString(value);
				st.list = st.list.filter(function (p) {
					if (p[0] !== name) return true;
					if (found) return false;
					found = true;
					p[1] = value;
					return true;
				});
				if (!found) st.list.push([name, value]);
				sync(this);
			}
			sort() {
				var st = params(this);
				st.list = st.list.map(function (p, i) { return [p, i]; }).sort(function (a, b) {
					return a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1];
				}).map(function (x) { return x[0]; });
				sync(this);
			}
			forEach(fn, thisArg) {
				params(this).list.slice().forEach(function (p) { fn.call(thisArg, p[1], p[0], this); }, this);
			}
			*entries() { for (var p of params(this).list.slice()) yield [p[0], p[1]]; }
			*keys() { for (var p of params(this).list.slice()) yield p[0]; }
			*values() { for (var p of params(this).list.slice()) yield p[1]; }
			[iteratorSymbol]() { return this.entries(); }
			toString() {
				return params(this).list.map(function (p) { return formEncode(p[0]) + "=" + formEncode(p[1]); }).join("&");
			}
			get [tagSymbol]() { return "URLSearchParams"; }
		}

		// sync writes the list of p back to the URL it belongs to.
		function sync(p) {
			var st = params(p);
			if (st.url) {
				var s = p.toString();
				urlRecord(st.url).search = s === "" ? "" : "?" + s;
			}
		}

		// ---- URL ----

		var specialPorts = { "ftp:": 21, "file:": -1, "http:": 80, "https:": 443, "ws:": 80, "wss:": 443 };

		function isSpecial(protocol) { return Object.prototype.hasOwnProperty.call(specialPorts, protocol); }

		// parseURL returns a URL record, or null when input is not a valid URL.
		// It follows the WHATWG URL standard for what a program sends over HTTP;
		// it does not do IDNA (international names must be in their xn-- form).
		function parseURL(input, base) {
			input = trimC0(_String(input));
			if (firstOf(input, "\t\n\r") >= 0) input = input.replace(re.tabNewline, "");
			var colon = input.indexOf(":");
			if (colon > 0 && isAlpha(input.charCodeAt(0)) && every(input.slice(0, colon), isSchemeChar)) {
				var protocol = input.slice(0, colon).toLowerCase() + ":", rest = input.slice(colon + 1);
				if (!isSpecial(protocol)) {
					if (rest.slice(0, 2) === "//") return authority(protocol, rest.slice(2));
					return opaque(protocol, rest);
				}
				rest = slashes(rest);
				if (base && base.protocol === protocol && rest.charAt(0) !== "/") return relative(base, rest);
				return authority(protocol, stripSlashes(rest));
			}
			if (!base) return null;
			if (base.opaque) return input.charAt(0) === "#" ? withFragment(base, input) : null;
			return relative(base, isSpecial(base.protocol) ? slashes(input) : input);
		}

		// slashes turns backslashes into slashes before the query, as special
		// URLs do.
		function slashes(s) {
			if (s.indexOf("\\") < 0) return s;
			var end = firstOf(s, "?#");
			if (end < 0) end = s.length;
			return s.slice(0, end).replace(re.backslash, "/") + s.slice(end);
		}

		function copyRecord(r) {
			return { protocol: r.protocol, username: r.username, password: r.password, hostname: r.hostname,
				port: r.port, pathname: r.pathname, search: r.search, hash: r.hash, opaque: r.opaque, hasHost: r.hasHost };
		}

		function withFragment(base, s) {
			var r = copyRecord(base);
			r.hash = s.length > 1 ? "#" + encodeSet(s.slice(1), fragmentSet) : "";
			return r;
		}

		// splitTail cuts "path?query#fragment" into its three parts; query and
		// fragment are null when absent.
		function splitTail(s) {
			var h = s.indexOf("#"), frag = h < 0 ? null : s.slice(h + 1);
			if (h >= 0) s = s.slice(0, h);
			var q = s.indexOf("?"), query = q < 0 ? null : s.slice(q + 1);
			if (q >= 0) s = s.slice(0, q);
			return [s, query, frag];
		}

		function setTail(r, query, frag) {
			r.search = query ? "?" + encodeSet(query, isSpecial(r.protocol) ? specialQuerySet : querySet) : "";
			r.hash = frag ? "#" + encodeSet(frag, fragmentSet) : "";
		}

		function relative(base, s) {
			if (s.slice(0, 2) === "//") return authority(base.protocol, isSpecial(base.protocol) ? stripSlashes(s) : s.slice(2));
			var r = copyRecord(base), t = splitTail(s);
			if (t[0] === "") {
				if (t[1] === null) {
					r.hash = t[2] ? "#" + encodeSet(t[2], fragmentSet) : "";
					return r;
				}
				setTail(r, t[1], t[2]);
				return r;
			}
			var path = t[0].charAt(0) === "/" ? t[0] : base.pathname.slice(0, base.pathname.lastIndexOf("/") + 1) + t[0];
			r.pathname = normalizePath(path, r.protocol);
			setTail(r, t[1], t[2]);
			return r;
		}

		function opaque(protocol, s) {
			var t = splitTail(s);
			var r = { protocol: protocol, username: "", password: "", hostname: "", port: "", pathname: encodeSet(t[0], ""),
				search: "", hash: "", opaque: true, hasHost: false };
			setTail(r, t[1], t[2]);
			return r;
		}

		function authority(protocol, s) {
			var end = firstOf(s, "/?#");
			if (end < 0) end = s.length;
			var auth = s.slice(0, end), rest = s.slice(end), at = auth.lastIndexOf("@");
			var r = { protocol: protocol, username: "", password: "", hostname: "", port: "", pathname: "",
				search: "", hash: "", opaque: false, hasHost: true };
			if (at >= 0) {
				var info = auth.slice(0, at), colon = info.indexOf(":");
				r.username = encodeSet(colon < 0 ? info : info.slice(0, colon), userinfoSet);
				r.password = colon < 0 ? "" : encodeSet(info.slice(colon + 1), userinfoSet);
				auth = auth.slice(at + 1);
			}
			if (!setHostPort(r, auth)) return null;
			var t = splitTail(rest);
			r.pathname = normalizePath(t[0], protocol);
			setTail(r, t[1], t[2]);
			return r;
		}

		function setHostPort(r, hostport) {
			var host = hostport, port = "";
			var close = hostport.charAt(0) === "[" ? hostport.indexOf("]") : -1;
			var colon = hostport.indexOf(":", close < 0 ? 0 : close);
			if (colon >= 0) {
				host = hostport.slice(0, colon);
				port = hostport.slice(colon + 1);
			}
			if (!every(port, isDigit) || port !== "" && +port > 65535) return false;
			var h = parseHost(host, isSpecial(r.protocol));
			if (h === null || h === "" && isSpecial(r.protocol) && r.protocol !== "file:") return false;
			r.hostname = h;
			r.port = port === "" || +port === specialPorts[r.protocol] ? "" : _String(+port);
			return true;
		}

		function parseHost(s, special) {
			if (s.charAt(0) === "[") {
				if (s.charAt(s.length - 1) !== "]" || !re.ipv6.test(s.slice(1, -1))) return null;
				return s.toLowerCase();
			}
			if (!special) return re.opaqueHostBad.test(s) ? null : encodeSet(s, "");
			var h = percentDecode(s);
			if (!every(h, isHostChar)) return null; // nor IDNA: write xn-- names
			h = h.toLowerCase();
			return endsInNumber(h) ? parseIPv4(h) : h;
		}

		function endsInNumber(h) {
			var parts = h.split("."), last = parts[parts.length - 1];
			if (last === "" && parts.length > 1) last = parts[parts.length - 2];
			return last !== "" && (every(last, isDigit) || isHexNumber(last));
		}

		function parseIPv4(h) {
			var parts = (h.charAt(h.length - 1) === "." ? h.slice(0, -1) : h).split("."), v = 0;
			if (parts.length > 4) return null;
			for (var i = 0; i < parts.length; i++) {
				var p = parts[i], n;
				if (isHexNumber(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
				else if (p.length > 1 && p.charAt(0) === "0" && every(p, isOctal)) n = parseInt(p.slice(1), 8);
				else if (p !== "" && every(p, isDigit) && (p.length === 1 || p.charAt(0) !== "0")) n = parseInt(p, 10);
				else return null;
				var last = i === parts.length - 1;
				if (!last && n > 255 || last && n >= Math.pow(256, 5 - parts.length)) return null;
				v += last ? n : n * Math.pow(256, 3 - i);
			}
			return [v >>> 24, v >>> 16 & 255, v >>> 8 & 255, v & 255].join(".");
		}

		// normalizePath resolves "." and ".." segments (also percent-encoded)
		// and percent-encodes what a path may not hold.
		function normalizePath(path, protocol) {
			var special = isSpecial(protocol);
			if (path === "") return special ? "/" : "";
			var segs = path.split("/"), out = [];
			for (var i = 1; i < segs.length; i++) {
				var seg = segs[i].toLowerCase(), last = i === segs.length - 1;
				if (seg === "." || seg === "%2e") {
					if (last) out.push("");
				} else if (seg === ".." || seg === ".%2e" || seg === "%2e." || seg === "%2e%2e") {
					out.pop();
					if (last) out.push("");
				} else {
					out.push(encodeSet(segs[i], pathSet));
				}
			}
			return "/" + out.join("/");
		}

		function hrefOf(r) {
			var s = r.protocol;
			if (r.hasHost) {
				s += "//";
				if (r.username !== "" || r.password !== "") s += r.username + (r.password !== "" ? ":" + r.password : "") + "@";
				s += r.hostname + (r.port !== "" ? ":" + r.port : "");
			}
			return s + r.pathname + r.search + r.hash;
		}

		var urlState = new _WeakMap(); // URL → {record, params}

		function urlRecord(u) {
			var st = urlState.get(u);
			if (!st) throw new _TypeError("Illegal invocation: not a URL");
			return st.record;
		}

		// reparse replaces the URL's record by the parse of href, if valid.
		function reparse(u, href) {
			var r = parseURL(href, null);
			if (r) setRecord(u, r);
			return r;
		}

		function setRecord(u, r) {
			var st = urlState.get(u);
			st.record = r;
			if (st.params) params(st.params).list = parseForm(r.search.slice(1));
		}

		class URL {
			constructor(url, base) {
				var b = null;
				if (base !== undefined) {
					b = parseURL(base instanceof URL ? hrefOf(urlRecord(base)) : base, null);
					if (!b) throw new _TypeError("Invalid base URL: " + _String(base));
				}
				var r = parseURL(url instanceof URL ? hrefOf(urlRecord(url)) : url, b);
				if (!r) throw new _TypeError("Invalid URL: " + _String(url));
				urlState.set(this, { record: r, params: null });
			}
			static canParse(url, base) {
				try {
					new URL(url, base);
					return true;
				} catch (e) {
					return false;
				}
			}
			static parse(url, base) {
				try {
					return new URL(url, base);
				} catch (e) {
					return null;
				}
			}
			get href() { return hrefOf(urlRecord(this)); }
			set href(v) {
				if (!reparse(this, v)) throw new _TypeError("Invalid URL: " + _String(v));
			}
			get origin() {
				var r = urlRecord(this);
				return isSpecial(r.protocol) && r.protocol !== "file:" ? r.protocol + "//" + r.hostname + (r.port !== "" ? ":" + r.port : "") : "null";
			}
			get protocol() { return urlRecord(this).protocol; }
			set protocol(v) {
				var r = urlRecord(this), p = _String(v).replace(re.afterColon, "").toLowerCase() + ":";
				if (isSpecial(p) !== isSpecial(r.protocol) || !re.protocol.test(p)) return;
				var c = copyRecord(r);
				c.protocol = p;
				if (+c.port === specialPorts[p]) c.port = "";
				setRecord(this, c);
			}
			get username() { return urlRecord(this).username; }
			set username(v) {
				var r = urlRecord(this);
				if (r.hasHost && r.hostname !== "") r.username = encodeSet(_String(v), userinfoSet);
			}
			get password() { return urlRecord(this).password; }
			set password(v) {
				var r = urlRecord(this);
				if (r.hasHost && r.hostname !== "") r.password = encodeSet(_String(v), userinfoSet);
			}
			get host() {
				var r = urlRecord(this);
				return r.hostname + (r.port !== "" ? ":" + r.port : "");
			}
			set host(v) {
				var r = urlRecord(this), c = copyRecord(r);
				if (!r.opaque && setHostPort(c, _String(v))) setRecord(this, c);
			}
			get hostname() { return urlRecord(this).hostname; }
			set hostname(v) {
				var r = urlRecord(this), h = parseHost(_String(v), isSpecial(r.protocol));
				if (!r.opaque && h) r.hostname = h;
			}
			get port() { return urlRecord(this).port; }
			set port(v) {
				var r = urlRecord(this), p = _String(v).replace(re.afterDigits, "");
				if (r.opaque || r.hostname === "" || p !== "" && +p > 65535) return;
				r.port = p === "" || +p === specialPorts[r.protocol] ? "" : _String(+p);
			}
			get pathname() { return urlRecord(this).pathname; }
			set pathname(v) {
				var r = urlRecord(this);
				if (r.opaque) return;
				var p = isSpecial(r.protocol) ? _String(v).replace(re.backslash, "/") : _String(v);
				r.pathname = normalizePath(p.charAt(0) === "/" ? p : "/" + p, r.protocol);
			}
			get search() {
				var s = urlRecord(this).search;
				return s === "?" ? "" : s;
			}
			set search(v) {
				var r = urlRecord(this), s = _String(v);
				if (s.charAt(0) === "?") s = s.slice(1);
				var c = copyRecord(r);
				c.search = s === "" ? "" : "?" + encodeSet(s, isSpecial(r.protocol) ? specialQuerySet : querySet);
				setRecord(this, c);
			}
			get searchParams() {
				var st = urlState.get(this);
				if (!st) throw new _TypeError("Illegal invocation: not a URL");
				if (!st.params) {
					st.params = new URLSearchParams(st.record.search.slice(1));
					params(st.params).url = this;
				}
				return st.params;
			}
			get hash() {
				var h = urlRecord(this).hash;
				return h === "#" ? "" : h;
			}
			set hash(v) {
				var r = urlRecord(this), s = _String(v);
				if (s.charAt(0) === "#") s = s.slice(1);
				r.hash = s === "" ? "" : "#" + encodeSet(s, fragmentSet);
			}
			toString() { return this.href; }
			toJSON() { return this.href; }
			get [tagSymbol]() { return "URL"; }
		}

		// ---- Headers ----

		var headersState = new _WeakMap(); // Headers → [[lowercase name, value]...]

		function headerList(h) {
			var list = headersState.get(h);
			if (!list) throw new _TypeError("Illegal invocation: not a Headers");
			return list;
		}

		function headerName(name) {
			name = _String(name);
			if (!isToken(name)) throw new _TypeError("Headers: " + stringifyJSON(name) + " is not a valid header name");
			return name.toLowerCase();
		}

		function headerValue(value) {
			value = trimHTTPSpace(_String(value));
			if (firstOf(value, "\u0000\r\n") >= 0) throw new _TypeError("Headers: a header value cannot contain a line break or NUL");
			return value;
		}

		// sortedPairs is the list as the iterators show it: sorted by name,
		// values of one name joined, except set-cookie.
		function sortedPairs(list) {
			var names = [];
			list.forEach(function (p) { if (names.indexOf(p[0]) < 0) names.push(p[0]); });
			names.sort();
			var out = [];
			names.forEach(function (n) {
				var values = list.filter(function (p) { return p[0] === n; }).map(function (p) { return p[1]; });
				if (n === "set-cookie") values.forEach(function (v) { out.push([n, v]); });
				else out.push([n, values.join(", ")]);
			});
			return out;
		}

		class Headers {
			constructor(init) {
				var list = [];
				headersState.set(this, list);
				if (init === undefined || init === null) return;
				if (typeof init !== "object" && typeof init !== "function") throw new _TypeError("Headers: init must be an object, an array of [name, value] pairs or a Headers");
				var pairs = init instanceof Headers ? headerList(init) : pairsOf(init, "Headers");
				for (var i = 0; i < pairs.length; i++) list.push([headerName(pairs[i][0]), headerValue(pairs[i][1])]);
			}
			append(name, value) { headerList(this).push([headerName(name), headerValue(value)]); }
			delete(name) {
				var list = headerList(this), n = headerName(name);
				for (var i = list.length - 1; i >= 0; i--) if (list[i][0] === n) list.splice(i, 1);
			}
			get(name) {
				var n = headerName(name), values = headerList(this).filter(function (p) { return p[0] === n; });
				return values.length === 0 ? null : values.map(function (p) { return p[1]; }).join(", ");
			}
			getSetCookie() {
				return headerList(this).filter(function (p) { return p[0] === "set-cookie"; }).map(function (p) { return p[1]; });
			}
			has(name) {
				var n = headerName(name);
				return headerList(this).some(function (p) { return p[0] === n; });
			}
			set(name, value) {
				var n = headerName(name);
				this.delete(n);
				headerList(this).push([n, headerValue(value)]);
			}
			forEach(fn, thisArg) {
				sortedPairs(headerList(this)).forEach(function (p) { fn.call(thisArg, p[1], p[0], this); }, this);
			}
			*entries() { for (var p of sortedPairs(headerList(this))) yield p; }
			*keys() { for (var p of sortedPairs(headerList(this))) yield p[0]; }
			*values() { for (var p of sortedPairs(headerList(this))) yield p[1]; }
			[iteratorSymbol]() { return this.entries(); }
			// toJSON is not in the standard: it makes console.log(res.headers)
			// and a returned Headers show their contents instead of {}.
			toJSON() {
				var o = {};
				sortedPairs(headerList(this)).forEach(function (p) { o[p[0]] = o[p[0]] === undefined ? p[1] : o[p[0]] + ", " + p[1]; });
				return o;
			}
			get [tagSymbol]() { return "Headers"; }
		}

		// ---- Bodies ----

		// extractBody returns {text} or {bytes} and the Content-Type it implies,
		// or null for no body. A plain object is refused rather than sent as
		// "[object Object]", which is never what the code meant.
		function extractBody(body) {
			if (body === undefined || body === null) return null;
			if (typeof body === "string") return { text: body, type: "text/plain;charset=UTF-8" };
			if (body instanceof URLSearchParams) return { text: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
			if (body instanceof _ArrayBuffer) return { bytes: new _Uint8Array(body.slice(0)), type: null };
			if (isView(body)) return { bytes: new _Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), type: null };
			throw new _TypeError("fetch: the body must be a string, an ArrayBuffer, a typed array or URLSearchParams; " +
				"for JSON pass JSON.stringify(value) and the header \"Content-Type: application/json\"");
		}

		var bodyState = new _WeakMap(); // Request or Response → {body, used}

		function bodyOf(o) {
			var st = bodyState.get(o);
			if (!st) throw new _TypeError("Illegal invocation: not a Request or Response");
			return st;
		}

		// consume marks the body read and returns a promise of its value.
		function consume(o, convert) {
			var st;
			try {
				st = bodyOf(o);
			} catch (e) {
				return _Promise.reject(e);
			}
			if (st.used) return _Promise.reject(new _TypeError("the body has already been read; use clone() to read it twice"));
			st.used = true;
			var b = st.body;
			return _Promise.resolve().then(function () { return convert(b); });
		}

		function textOf(b) { return !b ? "" : b.text !== undefined ? b.text : utf8Decode(b.bytes); }

		function bytesOf(b) { return !b ? new _Uint8Array(0) : b.bytes !== undefined ? b.bytes.slice() : utf8Encode(b.text); }

		var bodyMethods = {
			text: function () { return consume(this, textOf); },
			json: function () { return consume(this, function (b) { return parseJSON(textOf(b)); }); },
			arrayBuffer: function () { return consume(this, function (b) { return bytesOf(b).buffer; }); },
			bytes: function () { return consume(this, bytesOf); },
			blob: function () { return _Promise.reject(new _TypeError("Blob is not available here; use arrayBuffer() or text()")); },
			formData: function () { return _Promise.reject(new _TypeError("FormData is not available here; use text() or json()")); },
		};

		function mixBody(cls) {
			Object.keys(bodyMethods).forEach(function (name) {
				Object.defineProperty(cls.prototype, name, { value: bodyMethods[name], writable: true, configurable: true });
			});
			Object.defineProperty(cls.prototype, "bodyUsed", { get: function () { return bodyOf(this).used; }, configurable: true });
		}

		// ---- Request ----

		var requestState = new _WeakMap(); // Request → {url, method, headers, redirect}

		function requestOf(r) {
			var st = requestState.get(r);
			if (!st) throw new _TypeError("Illegal invocation: not a Request");
			return st;
		}

		var standardMethods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

		function normalizeMethod(m) {
			m = _String(m);
			if (!isToken(m)) throw new _TypeError("fetch: " + stringifyJSON(m) + " is not a valid HTTP method");
			var u = m.toUpperCase();
			if (u === "CONNECT" || u === "TRACE" || u === "TRACK") throw new _TypeError("fetch: " + u + " requests cannot be sent");
			return standardMethods.indexOf(u) >= 0 ? u : m;
		}

		function absoluteURL(input) {
			var r = parseURL(input instanceof URL ? hrefOf(urlRecord(input)) : input, null);
			if (!r) throw new _TypeError("fetch: " + stringifyJSON(_String(input)) + " is not a valid absolute URL (there is no page to resolve a relative one against)");
			if (r.username !== "" || r.password !== "") throw new _TypeError("fetch: URLs with credentials (user:password@) cannot be fetched");
			r.hash = "";
			return hrefOf(r);
		}

		class Request {
			constructor(input, init) {
				init = init === undefined || init === null ? {} : init;
				var src = input instanceof Request ? requestOf(input) : null;
				var st = {
					url: src ? src.url : absoluteURL(input),
					method: normalizeMethod(init.method !== undefined ? init.method : src ? src.method : "GET"),
					headers: new Headers(init.headers !== undefined ? init.headers : src ? src.headers : undefined),
					redirect: init.redirect !== undefined ? _String(init.redirect) : src ? src.redirect : "follow",
				};
				if (["follow", "error", "manual"].indexOf(st.redirect) < 0) throw new _TypeError("fetch: redirect must be \"follow\", \"error\" or \"manual\"");
				var body = null;
				if (init.body !== undefined && init.body !== null) {
					body = extractBody(init.body);
					if (body.type && !st.headers.has("content-type")) st.headers.set("content-type", body.type);
				} else if (src && init.body === undefined) {
					var sb = bodyOf(input);
					if (sb.used) throw new _TypeError("fetch: the Request's body has already been read");
					body = sb.body;
				}
				if (body && (st.method === "GET" || st.method === "HEAD")) throw new _TypeError("fetch: a " + st.method + " request cannot have a body");
				requestState.set(this, st);
				bodyState.set(this, { body: body, used: false });
			}
			get url() { return requestOf(this).url; }
			get method() { return requestOf(this).method; }
			get headers() { return requestOf(this).headers; }
			get redirect() { return requestOf(this).redirect; }
			clone() {
				if (bodyOf(this).used) throw new _TypeError("clone: the body has already been read");
				return new Request(this);
			}
			toJSON() {
				var st = requestOf(this);
				return { method: st.method, url: st.url, headers: st.headers.toJSON() };
			}
			get [tagSymbol]() { return "Request"; }
		}
		mixBody(Request);

		// ---- Response ----

		var responseState = new _WeakMap(); // Response → {status, statusText, headers, url, redirected, type}

		function responseOf(r) {
			var st = responseState.get(r);
			if (!st) throw new _TypeError("Illegal invocation: not a Response");
			return st;
		}

		function makeResponse(st, body) {
			var r = Object.create(Response.prototype);
			responseState.set(r, st);
			bodyState.set(r, { body: body, used: false });
			return r;
		}

		class Response {
			constructor(body, init) {
				init = init === undefined || init === null ? {} : init;
				var status = init.status === undefined ? 200 : +init.status;
				if (!(status >= 200 && status <= 599) || status !== Math.floor(status)) throw new _RangeError("Response: status must be an integer from 200 to 599");
				var st = { status: status, statusText: init.statusText === undefined ? "" : _String(init.statusText),
					headers: new Headers(init.headers), url: "", redirected: false, type: "default" };
				var b = extractBody(body);
				if (b && b.type && !st.headers.has("content-type")) st.headers.set("content-type", b.type);
				responseState.set(this, st);
				bodyState.set(this, { body: b, used: false });
			}
			static json(data, init) {
				var text = stringifyJSON(data);
				if (text === undefined) throw new _TypeError("Response.json: the value cannot be serialised to JSON");
				var r = new Response(text, init);
				r.headers.set("content-type", "application/json");
				return r;
			}
			static error() {
				return makeResponse({ status: 0, statusText: "", headers: new Headers(), url: "", redirected: false, type: "error" }, null);
			}
			static redirect(url, status) {
				status = status === undefined ? 302 : status;
				if ([301, 302, 303, 307, 308].indexOf(status) < 0) throw new _RangeError("Response.redirect: status must be a redirect status");
				return makeResponse({ status: status, statusText: "", headers: new Headers([["location", new URL(url).href]]),
					url: "", redirected: false, type: "default" }, null);
			}
			get status() { return responseOf(this).status; }
			get ok() {
				var s = responseOf(this).status;
				return s >= 200 && s <= 299;
			}
			get statusText() { return responseOf(this).statusText; }
			get headers() { return responseOf(this).headers; }
			get url() { return responseOf(this).url; }
			get redirected() { return responseOf(this).redirected; }
			get type() { return responseOf(this).type; }
			clone() {
				var st = responseOf(this), b = bodyOf(this);
				if (b.used) throw new _TypeError("clone: the body has already been read");
				return makeResponse({ status: st.status, statusText: st.statusText, headers: new Headers(st.headers),
					url: st.url, redirected: st.redirected, type: st.type }, b.body);
			}
			// toJSON is not in the standard: a Response returned or logged by
			// mistake shows its status instead of {}.
			toJSON() {
				var st = responseOf(this);
				return { status: st.status, statusText: st.statusText, ok: this.ok, url: st.url, headers: st.headers.toJSON() };
			}
			get [tagSymbol]() { return "Response"; }
		}
		mixBody(Response);

		// ---- fetch ----

		function wireRequest(req) {
			var st = requestOf(req), b = bodyOf(req), w = { url: st.url, method: st.method, headers: [], redirect: st.redirect };
			headerList(st.headers).forEach(function (p) { w.headers.push([p[0], p[1]]); });
			if (b.used) throw new _TypeError("fetch: the Request's body has already been read");
			if (b.body) {
				b.used = true;
				if (b.body.bytes !== undefined) w.body_base64 = base64Encode(b.body.bytes);
				else w.body = b.body.text;
			}
			return w;
		}

		function fromWire(w) {
			var body = w.body_base64 !== undefined ? { bytes: base64Decode(w.body_base64) } : { text: w.body === undefined ? "" : w.body };
			return makeResponse({ status: w.status, statusText: w.statusText, headers: new Headers(w.headers), url: w.url,
				redirected: w.redirected, type: "basic" }, body);
		}

		function fetch(input, init) {
			return new _Promise(function (resolve, reject) {
				var w = wireRequest(new Request(input, init));
				send(w).then(function (res) { resolve(fromWire(res)); }, reject);
			});
		}

		return { fetch: fetch, Request: Request, Response: Response, Headers: Headers, URL: URL, URLSearchParams: URLSearchParams };
	}
})(globalThis);

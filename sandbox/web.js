// The small web globals scripts expect (atob, btoa, TextEncoder,
// TextDecoder, structuredClone), made when the code first uses one of them
// (web.go, lazyGlobal), after the guards, so that what they build goes
// through the guarded built-ins. It returns them; it defines no globals. g
// holds the Go functions that do the byte work within the guards' limits
// (web.go). The built-ins it takes here are the code's, as the code left
// them: what it changed changes only its own web globals; the Go functions
// check what they are given.
(function (g) {
	"use strict";
	var _TypeError = TypeError, _RangeError = RangeError, _Error = Error, _String = String;
	var _Date = Date, _DataView = DataView;
	var isArray = Array.isArray, keys = Object.keys;
	var getPrototypeOf = Object.getPrototypeOf, objectPrototype = Object.prototype, defineProperty = Object.defineProperty;

	// callMethod calls f with this self and up to two arguments through the
	// original Reflect.apply (Reflect is made on first use: guard.go).
	var _apply;
	function callMethod(f, self, a, b) {
		if (_apply === undefined) _apply = g.originalOf("Reflect.apply", true);
		return _apply(f, self, [a, b]);
	}

	// ArrayBuffer is made on first use (guard.go, builtinMade), when its
	// originals are taken; before it is, no value is a buffer or a view.
	function isBuffer(v) {
		var AB = g.originalOf("ArrayBuffer", false);
		return AB !== undefined && v instanceof AB;
	}
	function isView(v) {
		var f = g.originalOf("ArrayBuffer.isView", false);
		return f !== undefined && f(v);
	}

	// bytesOf checks a BufferSource; Go reads its bytes (web.go bufferBytes).
	function bytesOf(input, label) {
		if (input === undefined || isBuffer(input)) return input;
		if (isView(input)) return [input.buffer, input.byteOffset, input.byteLength];
		throw new _TypeError(label + ": the input must be an ArrayBuffer, a typed array or a DataView");
	}

	function TextEncoder() {
		if (!new.target) throw new _TypeError("TextEncoder must be called with new");
	}
	defineProperty(TextEncoder.prototype, "encoding", { __proto__: null, get: function () { return "utf-8"; } });
	// Methods are defined, not assigned: an accessor the code put on
	// Object.prototype would take the assignment.
	method(TextEncoder.prototype, "encode", function encode(s) {
		return g.encode(s === undefined ? "" : _String(s));
	});

	var labels = { __proto__: null, "utf-8": true, "utf8": true, "unicode-1-1-utf-8": true };
	function TextDecoder(label, options) {
		if (!new.target) throw new _TypeError("TextDecoder must be called with new");
		label = label === undefined ? "utf-8" : _String(label).trim().toLowerCase();
		if (!labels[label]) throw new _RangeError("TextDecoder: the encoding \"" + label + "\" is not supported; only utf-8 is");
		this._fatal = !!(options && options.fatal);
		this._ignoreBOM = !!(options && options.ignoreBOM);
	}
	defineProperty(TextDecoder.prototype, "encoding", { __proto__: null, get: function () { return "utf-8"; } });
	defineProperty(TextDecoder.prototype, "fatal", { __proto__: null, get: function () { return this._fatal; } });
	defineProperty(TextDecoder.prototype, "ignoreBOM", { __proto__: null, get: function () { return this._ignoreBOM; } });
	method(TextDecoder.prototype, "decode", function decode(input) {
		return g.decode(bytesOf(input, "TextDecoder.decode"), this._fatal, this._ignoreBOM);
	});

	// method defines a method as an assignment would, enumerable as the web's are.
	function method(proto, name, f) {
		defineProperty(proto, name, { __proto__: null, value: f, writable: true, enumerable: true, configurable: true });
	}

	// structuredClone's machinery is made on its first call: most runtimes
	// never clone. What it uses of the built-ins was taken when this ran (above)
	// or is taken from Go (Map and Set, collections.go).
	var cloneValue;
	function structuredClone(value) {
		if (cloneValue === undefined) cloneValue = makeClone();
		return cloneValue(value);
	}

	function makeClone() {
		// The original Map and Set and their methods, from Go (collections.go):
		// taken when goja made them, so that a runtime that never clones does
		// not make them. isMap and isSet do not make them (no value is a Map
		// before Map is made); structuredClone makes Map for its table.
		var _Map, _Set, mapForEach, setForEach, mapSetOf, mapGetOf, setAddOf;
		var getTime = _Date.prototype.getTime;
		function useMap() {
			if (_Map === undefined) {
				_Map = g.originalOf("Map", true);
				mapForEach = g.originalOf("Map.prototype.forEach", true);
				mapSetOf = g.originalOf("Map.prototype.set", true);
				mapGetOf = g.originalOf("Map.prototype.get", true);
			}
		}
		function mapSet(m, k, v) { return callMethod(mapSetOf, m, k, v); }
		function mapGet(m, k) { return callMethod(mapGetOf, m, k); }
		function setAdd(s, v) { return callMethod(setAddOf, s, v); }
		function isMap(v) {
			return (_Map !== undefined || g.originalOf("Map", false) !== undefined) && (useMap(), v instanceof _Map);
		}
		function isSet(v) {
			if (_Set === undefined) {
				if (g.originalOf("Set", false) === undefined) return false;
				_Set = g.originalOf("Set", true);
				setForEach = g.originalOf("Set.prototype.forEach", true);
				setAddOf = g.originalOf("Set.prototype.add", true);
			}
			return v instanceof _Set;
		}

		function cloneError(what) {
			var e = new _Error("structuredClone: " + what + " cannot be cloned");
			e.name = "DataCloneError";
			return e;
		}

		// clone copies what the structured clone algorithm copies: primitives,
		// arrays, plain objects, Date, RegExp, Map, Set, ArrayBuffer, typed
		// arrays, DataView and errors, keeping shared and cyclic references.
		// Functions and symbols throw a DataCloneError; other objects are
		// copied as plain objects of their own enumerable properties.
		function clone(v, seen) {
			if (typeof v === "function" || typeof v === "symbol") throw cloneError("a " + typeof v);
			if (typeof v !== "object" || v === null) return v;
			var done = mapGet(seen, v);
			if (done !== undefined) return done;
			var out;
			if (isArray(v)) {
				out = [];
				mapSet(seen, v, out);
				for (var i = 0; i < v.length; i++) put(out, i, clone(v[i], seen));
				return out;
			}
			if (v instanceof _Date) return remember(seen, v, new _Date(callMethod(getTime, v)));
			var _RegExp = g.originalOf("RegExp", false); // none is a RegExp before RegExp is made
			if (_RegExp !== undefined && v instanceof _RegExp) return remember(seen, v, new _RegExp(v.source, v.flags));
			if (isBuffer(v)) return remember(seen, v, callMethod(g.originalOf("ArrayBuffer.prototype.slice", true), v, 0));
			if (isView(v)) {
				var buffer = clone(v.buffer, seen);
				var Ctor = v instanceof _DataView ? _DataView : getPrototypeOf(v).constructor;
				var n = v instanceof _DataView ? v.byteLength : v.length;
				return remember(seen, v, new Ctor(buffer, v.byteOffset, n));
			}
			if (isMap(v)) {
				out = remember(seen, v, new _Map());
				callMethod(mapForEach, v, function (val, k) { mapSet(out, clone(k, seen), clone(val, seen)); });
				return out;
			}
			if (isSet(v)) {
				out = remember(seen, v, new _Set());
				callMethod(setForEach, v, function (val) { setAdd(out, clone(val, seen)); });
				return out;
			}
			if (v instanceof _Error) {
				out = remember(seen, v, new _Error(_String(v.message)));
				out.name = _String(v.name);
				return out;
			}
			out = remember(seen, v, {});
			var ks = keys(v);
			for (var j = 0; j < ks.length; j++) put(out, ks[j], clone(v[ks[j]], seen));
			return out;
		}

		// put makes o[k] v as the clone algorithm does, a data property: a key
		// "__proto__" is a key, not the clone's prototype, and no accessor on
		// Object.prototype or Array.prototype takes it.
		var entry = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
		function put(o, k, v) {
			entry.value = v;
			defineProperty(o, k, entry);
			entry.value = undefined;
		}

		function remember(seen, v, out) {
			mapSet(seen, v, out);
			return out;
		}

		return function (value) {
			useMap();
			return clone(value, new _Map());
		};
	}

	return { atob: g.atob, btoa: g.btoa, TextEncoder: TextEncoder, TextDecoder: TextDecoder, structuredClone: structuredClone };
})

// Helpers private to one execution. The sandbox calls this when a helper is
// first needed, with the built-ins they use as goja made them (prelude.go,
// preludeArgs, in the order of the parameters below: goja's own natives
// and objects, or taken by goja's hooks as goja made them), so the code
// cannot redirect them by replacing globals. Defines no globals: Go keeps the returned
// functions.
(function (stringify, parse, isArray, _Error, _TypeError, _RangeError, _String, arrayFrom, isFinite_,
	getPrototypeOf, objectPrototype, defineProperty, originalOf) {
	"use strict";
	var maxDepth = 100;

	// originalOf gives the original Map, Set, RegExp and ArrayBuffer.isView once goja made them
	// (collections.go): no value is a Map before Map is made, so the check
	// does not make it. A runtime without it (null: a test's) uses the globals.
	var _Map, _Set, _RegExp, _isView;
	function isMap(v) {
		if (_Map === undefined) _Map = originalOf ? originalOf("Map", false) : Map;
		return _Map !== undefined && v instanceof _Map;
	}
	function isSet(v) {
		if (_Set === undefined) _Set = originalOf ? originalOf("Set", false) : Set;
		return _Set !== undefined && v instanceof _Set;
	}
	function isView(v) {
		if (_isView === undefined) _isView = originalOf ? originalOf("ArrayBuffer.isView", false) : ArrayBuffer.isView;
		return _isView !== undefined && _isView(v);
	}
	function isRegExp(v) {
		if (_RegExp === undefined) _RegExp = originalOf ? originalOf("RegExp", false) : RegExp;
		return _RegExp !== undefined && v instanceof _RegExp;
	}

	function errorText(e) {
		var name = e.name, msg = e.message;
		name = typeof name === "string" && name !== "" ? name : "Error";
		return msg === undefined || msg === "" ? name : name + ": " + _String(msg);
	}

	function functionText(f) {
		var n = f.name;
		return typeof n === "string" && n !== "" ? "[Function: " + n + "]" : "[Function (anonymous)]";
	}

	// define makes o[k] v as an object or array literal would: a key
	// "__proto__" is a key, and no accessor the code put on Object.prototype
	// or Array.prototype takes it.
	var entry = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
	function define(o, k, v) {
		entry.value = v;
		defineProperty(o, k, entry);
		entry.value = undefined;
	}

	// mapValue turns a Map into an object when every key is a string or a
	// number, else into an array of [key, value] pairs. It walks the Map with
	// the original forEach.
	var _forEach, _apply;
	function mapValue(m) {
		if (_forEach === undefined) {
			_forEach = originalOf ? originalOf("Map.prototype.forEach", true) : Map.prototype.forEach;
			_apply = originalOf ? originalOf("Reflect.apply", true) : Reflect.apply;
		}
		var o = {}, pairs = [], plain = true;
		_apply(_forEach, m, [function (v, k) {
			if (typeof k !== "string" && typeof k !== "number") plain = false;
			define(o, k, v);
			define(pairs, pairs.length, [k, v]);
		}]);
		return plain ? o : pairs;
	}

	// objectValue replaces objects JSON.stringify would print as {} or as an
	// index map by something meaningful.
	function objectValue(v, lenient) {
		if (isArray(v) || getPrototypeOf(v) === objectPrototype) return v; // most values: no instanceof
		if (isMap(v)) return mapValue(v);
		if (isSet(v)) return arrayFrom(v);
		if (isView(v)) return arrayFrom(v);
		if (v instanceof _Error) return lenient ? errorText(v) : { name: _String(v.name), message: _String(v.message) };
		if (lenient && isRegExp(v)) return _String(v);
		return v;
	}

	// refused is what leafValue returns for a value JSON cannot hold.
	var refused = {};

	// leafValue handles the primitives JSON.stringify mangles or refuses.
	function leafValue(v, lenient) {
		switch (typeof v) {
		case "bigint":
			return lenient ? _String(v) + "n" : refused;
		case "number":
			return lenient && !isFinite_(v) ? _String(v) : v;
		case "function":
			return lenient ? functionText(v) : undefined;
		case "symbol":
			return lenient ? _String(v) : undefined;
		}
		return v;
	}

	// tooLarge is thrown by a lenient replacer past its size.
	var tooLarge = {};

	// replacer returns a JSON.stringify replacer that converts values (see
	// objectValue and leafValue), stops at maxDepth, detects cycles and
	// bounds the size of the text to about maxBytes. It tracks the path from
	// the root to the current holder: JSON.stringify visits depth first, so
	// the holder is always on the stack.
	function replacer(root, lenient, maxBytes) {
		// The stacks are objects without a prototype, not arrays: a setter the
		// code defined on Array.prototype would take the writes, and the depth
		// would never grow.
		var holders = { __proto__: null }, origins = { __proto__: null }, keys = { __proto__: null };
		var depth = 0, size = 0;
		function path(n, key) {
			var p = root;
			for (var i = 1; i <= n; i++) {
				var k = i < n ? keys[i] : key;
				p += isArray(holders[i - 1]) ? "[" + k + "]" : "." + k;
			}
			return p;
		}
		function fail(n, key, what) {
			var p = path(n, key);
			throw new _TypeError("the " + root + " cannot be serialised to JSON: " + what + (p === root ? "" : " at " + p));
		}
		return function (key, value) {
			var n = depth;
			while (n > 0 && holders[n - 1] !== this) n--;
			depth = n;
			size += _String(key).length + 2 + (typeof value === "string" ? value.length : 4);
			if (size > maxBytes) {
				if (lenient) throw tooLarge;
				throw new _RangeError("the " + root + " is larger than " + maxBytes + " bytes as JSON; return less, e.g. a summary or a slice");
			}
			if (typeof value !== "object" || value === null) {
				var leaf = leafValue(value, lenient);
				if (leaf === refused) fail(n, key, "a BigInt");
				return leaf;
			}
			for (var i = 0; i < n; i++) {
				if (origins[i] === value) {
					if (lenient) return "[Circular]";
					fail(n, key, "a cyclic reference");
				}
			}
			if (n >= maxDepth) {
				if (lenient) return isArray(value) ? "[Array]" : "[Object]";
				fail(n, key, "nesting deeper than " + maxDepth + " levels");
			}
			var c = objectValue(value, lenient);
			holders[n] = c;
			origins[n] = value;
			keys[n] = key;
			depth = n + 1;
			return c;
		};
	}

	// format prints one console argument: strings raw, everything else as
	// compact JSON-like text. It never throws a catchable error.
	function format(v, maxBytes) {
		try {
			switch (typeof v) {
			case "string":
				return v;
			case "object":
				if (v === null) return "null";
				if (v instanceof _Error) return errorText(v);
				var s = stringify(v, replacer("value", true, maxBytes));
				return s === undefined ? "undefined" : s;
			case "undefined":
				return "undefined";
			}
			var leaf = leafValue(v, true);
			return typeof leaf === "string" ? leaf : _String(leaf);
		} catch (e) {
			if (e === tooLarge) return "[value too large to print: more than " + maxBytes + " bytes]";
			try {
				return _String(v);
			} catch (e2) {
				return "[unprintable value]";
			}
		}
	}

	// serialize returns the JSON of the script's result.
	function serialize(v, maxBytes) {
		var s = stringify(v, replacer("result", false, maxBytes));
		return s === undefined ? "null" : s;
	}

	// args returns the JSON of a binding's argument.
	function args(v, maxBytes) {
		if (v === undefined) return "{}";
		var s = stringify(v, replacer("argument", false, maxBytes));
		if (s === undefined) throw new _TypeError("the argument must be a JSON value, not a " + typeof v);
		return s;
	}

	// maxText bounds the name, message and stack of a thrown value.
	var maxText = 10000;

	function cut(s) {
		return s.length > maxText ? s.slice(0, maxText) + "… (" + s.length + " characters)" : s;
	}

	// describe returns [name, message, stack] for a thrown value.
	function describe(v) {
		try {
			if (v !== null && (typeof v === "object" || typeof v === "function")) {
				var msg = v.message;
				if (v instanceof _Error || typeof msg === "string") {
					var name = v.name, stack = v.stack;
					name = typeof name === "string" && name !== "" ? cut(name) : "Error";
					return [name, msg === undefined ? "" : cut(_String(msg)), typeof stack === "string" ? cut(stack) : ""];
				}
			}
			return ["Error", "uncaught non-Error value: " + quoted(v), ""];
		} catch (e) {
			return ["Error", "uncaught value that cannot be described", ""];
		}
	}

	function quoted(v) {
		if (typeof v === "string") return stringify(v.length > 1000 ? v.slice(0, 1000) + "…" : v);
		return format(v, 1000);
	}

	function hasArray(a) {
		for (var i = 0; i < a.length; i++) if (isArray(a[i])) return true;
		return false;
	}

	// stringifyWith serialises the result with a replacer made in Go (see
	// result.go), which calls back objectValue, isArray, fail and tick.
	function stringifyWith(v, replacer) {
		var s = stringify(v, replacer);
		return s === undefined ? "null" : s;
	}

	// throwError throws a TypeError, or a RangeError when range is true.
	function throwError(range, msg) {
		throw range ? new _RangeError(msg) : new _TypeError(msg);
	}

	return {
		format: format, serialize: serialize, args: args, describe: describe, parse: parse,
		hasArray: hasArray,
		stringifyWith: stringifyWith, objectValue: objectValue, isArray: isArray, throwError: throwError,
		tick: function () {}, objectPrototype: objectPrototype,
	};
})

// Guards on the built-ins that are easier to wrap in JavaScript than in Go:
// constructors (they must keep working with new, subclasses and instanceof),
// JSON.stringify (made to go through a replacer, which bounds its depth and
// size and makes it interruptible), and the functions that make one value
// per element of what they are given. g holds the limits and Go checks (see
// guard.go). Defines no globals. (Code compiled at run time, by eval or the
// Function constructors, is checked in Go, by goja's compile hook.)
//
// They are wrapped when goja makes them: guard.go calls this the first time
// goja makes one — a constructor of guard.go's lazyCtors (ArrayBuffer, the
// typed arrays, the collections), or a function of guard.go's jsGuards
// ("JSON.stringify", "Promise.all", …) — which may be after code of the
// script's ran. So this reads no global: what it uses of the built-ins, g
// gives, as goja made them (String and Number) or as goja's own natives
// (defineProperty, slice, …). It returns wrapCtor and wrapFunction, which
// Go calls with the name or label and the original, and stores what they
// return.
(function (g) {
	"use strict";
	var L = g.limits;
	var _String = g.String, _Number = g.Number, min = g.min, floor = g.floor;
	var defineProperty = g.defineProperty, setPrototypeOf = g.setPrototypeOf, isArray = g.isArray;
	var slice = g.slice, indexOf = g.indexOf; // slice(a, 1) is a.slice(1)
	return makeMachinery();

	// makeMachinery makes the wrappers' machinery: two dozen closures, made
	// in the runtimes that need them.
	function makeMachinery() {
		// The original RangeError (guard.go's errorCtor: taken as goja made it).
		var _RangeError = g.errorCtor("RangeError");
		// Reflect is made on first use (guard.go, builtinMade): its original
		// apply and construct are taken when first needed.
		var _apply, _construct;
		function apply(f, self, args) {
			if (_apply === undefined) _apply = g.originalOf("Reflect.apply", true);
			return _apply(f, self, args);
		}
		function construct(f, args, newTarget) {
			if (_construct === undefined) _construct = g.originalOf("Reflect.construct", true);
			return _construct(f, args, newTarget);
		}
		var i, _isView;
		// ArrayBuffer is made on first use too (guard.go, builtinMade), and
		// before it is, no value is a view.
		function isView(v) {
			if (_isView === undefined) _isView = g.originalOf("ArrayBuffer.isView", false);
			return _isView !== undefined && _isView(v);
		}

		// Descriptors are reused: this runs in every fresh runtime, so it makes
		// as few objects as it can. They have no prototype: a "get" or "set"
		// the code put on Object.prototype would make them accessor
		// descriptors, and no wrapper could be made.
		var fixed = { __proto__: null, value: undefined, writable: false, enumerable: false, configurable: true };
		var method = { __proto__: null, value: undefined, writable: true, enumerable: false, configurable: true };

		function named(f, name, length) {
			fixed.value = name;
			defineProperty(f, "name", fixed);
			fixed.value = length;
			defineProperty(f, "length", fixed);
			return f;
		}

		function define(holder, key, value) {
			method.value = value;
			defineProperty(holder, key, method);
		}

		function tooLarge(label, what, n, limit) {
			throw new _RangeError(label + ": " + what + " " + n + "; the limit is " + limit);
		}

		// wrapConstructor returns a function that checks (and may convert) the
		// arguments first, then calls or constructs orig. It shares orig's
		// prototype, inherits its statics (Uint8Array.from then constructs
		// through it), and wrapCtor makes it that prototype's constructor.
		function wrapConstructor(orig, name, check) {
			var wrapper = function () {
				var args = check(slice(arguments), new.target !== undefined);
				if (new.target === undefined) return apply(orig, this, args);
				return construct(orig, args, new.target === wrapper ? orig : new.target);
			};
			defineProperty(wrapper, "prototype", { __proto__: null, value: orig.prototype });
			setPrototypeOf(wrapper, orig);
			return named(wrapper, name, orig.length);
		}

		// lazy holds what makes the checks of the constructors wrapped on first
		// use (a function of the name and the original, shared, so that a
		// runtime makes no check it does not use), and wrapped their wrappers
		// once made: goja makes a constructor on two routes (the global, and its
		// prototype's constructor; RegExp's also by a literal), and both get the
		// one wrapper.
		var lazy = { __proto__: null }, wrapped = { __proto__: null };
		function guardLazily(name, makeCheck) {
			lazy[name] = makeCheck;
		}
		function wrapCtor(name, orig) {
			var w = wrapped[name];
			if (w === undefined) {
				if (!lazy[name]) return orig; // not one of guard.go's lazyCtors
				w = wrapped[name] = wrapConstructor(orig, name, lazy[name](name, orig));
				// Not every prototype is made on first use: set its constructor now
				// (when it is, the hook gives w, made above, and this sets it again).
				if (orig.prototype) define(orig.prototype, "constructor", w);
			}
			return w;
		}

		// A pattern given as a RegExp was checked when it was made; anything
		// else is converted once, here, and checked.
		guardLazily("RegExp", function (name, _RegExp) {
			return function (args) {
				var p = args[0];
				if (p !== undefined && !(p instanceof _RegExp)) {
					args[0] = _String(p);
					g.checkPattern(args[0]);
				}
				return args;
			};
		});

		// Buffers allocate their length at once.
		guardLazily("ArrayBuffer", function () {
			return function (args) {
				var n = _Number(args[0]);
				if (n > L.maxBuffer) tooLarge("ArrayBuffer", "byte length", n, L.maxBuffer);
				return args;
			};
		});
		var typed = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
			"Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];
		for (i = 0; i < typed.length; i++) guardLazily(typed[i], typedArrayCheck);
		function typedArrayCheck(name) {
			var size = g.elementSize(name), _ArrayBuffer;
			return function (args) {
				var a = args[0], n;
				if (_ArrayBuffer === undefined) _ArrayBuffer = g.originalOf("ArrayBuffer", true);
				if (typeof a !== "object" || a === null) n = _Number(a);
				else if (a instanceof _ArrayBuffer) return args;
				else n = _Number(a.length);
				if (n > L.maxElements || n * size > L.maxBuffer) tooLarge(name, "length", n, min(L.maxElements, floor(L.maxBuffer / size)));
				return args;
			};
		}

		// Natives that make one heavy value per element of an iterable or of an
		// indexed value's keys.
		function checkElements(label, v) {
			var n = 0;
			if (typeof v === "string") n = v.length;
			else if (isArray(v) || isView(v) || v instanceof _String) n = v.length;
			if (n > L.maxStringElements) tooLarge(label, "elements", n, L.maxStringElements);
		}
		var collections = ["Map", "Set", "WeakMap", "WeakSet"];
		for (i = 0; i < collections.length; i++) guardLazily(collections[i], collectionCheck);
		function collectionCheck(name) {
			return function (args) {
				checkElements(name, args[0]);
				return args;
			};
		}
		// The functions of guard.go's jsGuards, wrapped when goja makes them:
		// those that make a value per element of their arguments, and
		// JSON.stringify.
		function wrapFunction(label, orig) {
			return label === "JSON.stringify" ? wrapStringify(orig) : wrapElements(label, orig);
		}
		function wrapElements(label, orig) {
			return named(function () {
				for (var i = 0; i < arguments.length; i++) checkElements(label, arguments[i]);
				return apply(orig, this, arguments);
			}, orig.name, orig.length);
		}

		// JSON.stringify goes through a replacer that tracks the depth (goja
		// recurses on the Go stack and checks cycles in quadratic time) and the
		// size of the text, and composes with the caller's replacer.
		function wrapStringify(stringify) {
			return named(function (value, replacer, space) {
				var user = typeof replacer === "function" ? replacer : null;
				var allow = isArray(replacer) ? allowList(replacer) : null;
				var indent = typeof space === "number" ? min(10, space) : typeof space === "string" ? min(10, space.length) : 10;
				// The stack of holders is an object without a prototype, not an
				// array: a setter the code defined on Array.prototype would
				// take the writes, and the depth would never grow.
				var holders = { __proto__: null }, depth = 0, size = 0;
				function guard(key, v) {
					var n = depth;
					while (n > 0 && holders[n - 1] !== this) n--;
					depth = n;
					if (user) v = apply(user, this, [key, v]);
					size += key.length + 4 + n * indent;
					if (typeof v === "string") size += v.length;
					if (size > L.maxString) throw new _RangeError("JSON.stringify: the text would be more than " + L.maxString + " characters");
					if (typeof v !== "object" || v === null) return v;
					if (n >= L.maxNesting) throw new _RangeError("JSON.stringify: the value nests more than " + L.maxNesting + " levels deep");
					if (allow && !isArray(v)) v = pick(v, allow);
					holders[n] = v;
					depth = n + 1;
					return v;
				}
				return stringify(value, guard, space);
			}, "stringify", 3);
		}

		function allowList(list) {
			var out = [];
			for (var i = 0; i < list.length; i++) {
				var k = list[i];
				if (typeof k === "number" || k instanceof _Number || k instanceof _String) k = _String(k);
				if (typeof k === "string" && indexOf(out, k) < 0) put(out, out.length, k);
			}
			return out;
		}

		// pick copies the allowed properties of o, in the list's order, as
		// JSON.stringify does with a property list.
		function pick(o, allow) {
			var c = {};
			for (var i = 0; i < allow.length; i++) {
				var v = o[allow[i]];
				if (v !== undefined) put(c, allow[i], v);
			}
			return c;
		}

		// put makes o[k] v as a literal would: a key "__proto__" is a key, and
		// no accessor the code put on Object.prototype or Array.prototype
		// takes it.
		var entry = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
		function put(o, k, v) {
			entry.value = v;
			defineProperty(o, k, entry);
			entry.value = undefined;
		}

		return { wrapCtor: wrapCtor, wrapFunction: wrapFunction };
	}
})

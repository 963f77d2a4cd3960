import Foundation

/// An error reading or writing a NumPy `.npy` file, naming the file and what is wrong.
public struct NumPyFileError: Error, CustomStringConvertible, Equatable {
    /// The file concerned.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}

/// The contents of a `.npy` file: a typed array with its shape.
public enum NumPyArray: Equatable, Sendable {
    case float32(Tensor<Float>)
    case float64(Tensor<Double>)
    case int32(shape: [Int], values: [Int32])
    case int64(shape: [Int], values: [Int64])

    /// The array's shape.
    public var shape: [Int] {
        switch self {
        case .float32(let t): return t.shape
        case .float64(let t): return t.shape
        case .int32(let s, _), .int64(let s, _): return s
        }
    }

    /// The array converted to a floating-point tensor of the requested type.
    public func tensor<S: TensorScalar>(as _: S.Type = S.self) -> Tensor<S> {
        switch self {
        case .float32(let t): return Tensor<S>(t)
        case .float64(let t): return Tensor<S>(t)
        case .int32(let s, let v): return Tensor<S>(shape: s, scalars: v.map { S($0) })
        case .int64(let s, let v): return Tensor<S>(shape: s, scalars: v.map { S($0) })
        }
    }
}

/// Reads and writes NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a
/// header dictionary with `descr`, `fortran_order` and `shape`, then the raw data.
///
/// Supported: little-endian `f4`, `f8`, `i4`, `i8` in C order. Anything else — big-endian or
/// other types, Fortran order, a truncated file, a data size that does not match the shape —
/// is a ``NumPyFileError`` naming the file and the problem.
public enum NumPyFile {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> NumPyArray {
        let data: Data
        switch InputFile.contents(of: url) {
        case .success(let d): data = d
        case .failure(let e): throw NumPyFileError(path: url.path, reason: "cannot read file: \(e.reason)")
        }
        return try decode(data, path: url.path)
    }

    /// Reads a `.npy` file into a floating-point tensor, converting the element type.
    public static func readTensor<S: TensorScalar>(_ url: URL, as _: S.Type = S.self) throws -> Tensor<S> {
        try read(url).tensor(as: S.self)
    }

    /// Decodes the bytes of a `.npy` file; `path` names the source in errors.
    public static func decode(_ data: Data, path: String = "<data>") throws -> NumPyArray {
        func fail(_ reason: String) -> NumPyFileError { NumPyFileError(path: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic string)") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major).\(bytes[7])")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("truncated header (needs \(headerLength) bytes)") }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let fields = try parseHeader(header, fail: fail)
        guard fields.fortranOrder == false else { throw fail("Fortran-order arrays are not supported; save with numpy.ascontiguousarray") }
        let itemSize: Int
        switch fields.descr {
        case "<f4", "<i4": itemSize = 4
        case "<f8", "<i8": itemSize = 8
        default: throw fail("unsupported dtype '\(fields.descr)' (supported: <f4, <f8, <i4, <i8)")
        }
        let expected: Int
        switch DeclaredShape.byteCount(of: fields.shape, itemSize: itemSize) {
        case .success(let n): expected = n
        case .failure(let error): throw fail("unusable 'shape' field: \(error)")
        }
        let count = expected / itemSize
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart >= expected else {
            throw fail("truncated data: shape \(fields.shape) needs \(expected) bytes, file has \(bytes.count - dataStart)")
        }
        guard bytes.count - dataStart == expected else {
            throw fail("data size \(bytes.count - dataStart) bytes does not match shape \(fields.shape) (\(expected) bytes)")
        }
        return bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + dataStart
            switch fields.descr {
            case "<f4":
                return .float32(Tensor(shape: fields.shape) { out in
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                })
            case "<f8":
                return .float64(Tensor(shape: fields.shape) { out in
                    for i in 0..<count { out[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
                })
            case "<i4":
                return .int32(shape: fields.shape, values: (0..<count).map { Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) })
            default:
                return .int64(shape: fields.shape, values: (0..<count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) })
            }
        }
    }

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    /// Parses the Python dictionary literal of a header, e.g.
    /// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, strictly: exactly the
    /// three keys, each once; string values in quotes; `True`/`False`; a tuple of decimal
    /// integers (a trailing comma allowed, as in `(3,)`); spaces and a final newline around.
    static func parseHeader(_ text: String, fail: (String) -> NumPyFileError) throws -> Header {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func skipSpaces() { while i < scalars.count, scalars[i] == " " || scalars[i] == "\n" || scalars[i] == "\t" || scalars[i] == "\r" { i += 1 } }
        func expect(_ c: Unicode.Scalar, _ what: String) throws {
            skipSpaces()
            guard i < scalars.count, scalars[i] == c else { throw fail("malformed header: expected '\(c)' \(what) at character \(i)") }
            i += 1
        }
        func quoted() throws -> String {
            skipSpaces()
            guard i < scalars.count, scalars[i] == "'" || scalars[i] == "\"" else { throw fail("malformed header: expected a quoted string at character \(i)") }
            let quote = scalars[i]
            i += 1
            var out = String.UnicodeScalarView()
            while i < scalars.count, scalars[i] != quote {
                guard scalars[i].value >= 0x20, scalars[i] != "\\" else { throw fail("malformed header: unexpected character in a string at character \(i)") }
                out.append(scalars[i])
                i += 1
            }
            guard i < scalars.count else { throw fail("malformed header: unterminated string") }
            i += 1
            return String(out)
        }
        func word() -> String {
            skipSpaces()
            var out = String.UnicodeScalarView()
            while i < scalars.count, (scalars[i].properties.isAlphabetic || ("0"..."9").contains(scalars[i])) {
                out.append(scalars[i])
                i += 1
            }
            return String(out)
        }
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        try expect("{", "to open the header dictionary")
        skipSpaces()
        while i < scalars.count, scalars[i] != "}" {
            let key = try quoted()
            try expect(":", "after '\(key)'")
            switch key {
            case "descr":
                guard descr == nil else { throw fail("header has the 'descr' field twice") }
                var d = try quoted()
                if d.hasPrefix("|") || d.hasPrefix("=") { d = "<" + d.dropFirst() }
                descr = d
            case "fortran_order":
                guard fortran == nil else { throw fail("header has the 'fortran_order' field twice") }
                switch word() {
                case "False": fortran = false
                case "True": fortran = true
                default: throw fail("malformed 'fortran_order' field (True or False)")
                }
            case "shape":
                guard shape == nil else { throw fail("header has the 'shape' field twice") }
                try expect("(", "to open 'shape'")
                var dims: [Int] = []
                var commas = 0
                skipSpaces()
                while i < scalars.count, scalars[i] != ")" {
                    let digits = word()
                    guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), digits == "0" || !digits.hasPrefix("0") else {
                        throw fail("malformed dimension '\(digits)' in 'shape' (decimal integers without leading zeros)")
                    }
                    guard let n = Int(digits) else { throw fail("dimension \(digits) in 'shape' does not fit a 64-bit integer") }
                    dims.append(n)
                    skipSpaces()
                    if i < scalars.count, scalars[i] == "," { i += 1; commas += 1; skipSpaces() } else { break }
                }
                try expect(")", "to close 'shape'")
                // Python's (3) is the number 3, not a tuple: one dimension needs its comma.
                guard dims.count != 1 || commas == 1 else { throw fail("malformed 'shape' field: a one-dimensional shape is written (n,)") }
                shape = dims
            default:
                throw fail("header has an unknown field '\(key)'")
            }
            skipSpaces()
            if i < scalars.count, scalars[i] == "," { i += 1; skipSpaces() } else { break }
        }
        try expect("}", "to close the header dictionary")
        skipSpaces()
        guard i == scalars.count else { throw fail("malformed header: text after the dictionary") }
        guard let d = descr else { throw fail("header has no 'descr' field") }
        guard let f = fortran else { throw fail("header has no 'fortran_order' field") }
        guard let s = shape else { throw fail("header has no 'shape' field") }
        return Header(descr: d, fortranOrder: f, shape: s)
    }

    /// The bytes of a `.npy` file (version 1.0, header padded to 64 bytes) holding `tensor`.
    public static func encode<S: TensorScalar>(_ tensor: Tensor<S>) -> Data {
        let shapeText = tensor.shape.isEmpty ? "()" : tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        return encode(descr: S.numpyDescriptor, shapeText: shapeText) { data in
            tensor.withUnsafeBufferPointer { p in
                for v in p {
                    if S.self == Float.self {
                        withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { data.append(contentsOf: $0) }
                    } else {
                        withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { data.append(contentsOf: $0) }
                    }
                }
            }
        }
    }

    /// The bytes of a `.npy` file of 64-bit integers.
    public static func encode(integers: [Int], shape: [Int]) -> Data {
        precondition(Shape.count(of: shape) == integers.count, "shape \(shape) does not match \(integers.count) integers")
        let shapeText = shape.isEmpty ? "()" : shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return encode(descr: "<i8", shapeText: shapeText) { data in
            for v in integers { withUnsafeBytes(of: Int64(v).littleEndian) { data.append(contentsOf: $0) } }
        }
    }

    private static func encode(descr: String, shapeText: String, body: (inout Data) -> Void) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        body(&data)
        return data
    }

    /// Writes `tensor` to a `.npy` file atomically.
    public static func write<S: TensorScalar>(_ tensor: Tensor<S>, to url: URL) throws {
        try AtomicFile.write(encode(tensor), to: url)
    }
}

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
        do { data = try Data(contentsOf: url) } catch {
            throw NumPyFileError(path: url.path, reason: "cannot read file: \(error.localizedDescription)")
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
        let count = Shape.count(of: fields.shape)
        let itemSize: Int
        switch fields.descr {
        case "<f4", "<i4": itemSize = 4
        case "<f8", "<i8": itemSize = 8
        default: throw fail("unsupported dtype '\(fields.descr)' (supported: <f4, <f8, <i4, <i8)")
        }
        let dataStart = headerStart + headerLength
        let expected = count * itemSize
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
    /// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parseHeader(_ text: String, fail: (String) -> NumPyFileError) throws -> Header {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("{"), t.hasSuffix("}") else { throw fail("header is not a dictionary: \(t.prefix(80))") }
        func value(of key: String) throws -> Substring {
            guard let k = t.range(of: "'\(key)'") ?? t.range(of: "\"\(key)\"") else { throw fail("header has no '\(key)' field") }
            var rest = t[k.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw fail("malformed '\(key)' field") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        let d = try value(of: "descr")
        guard let quote = d.first, quote == "'" || quote == "\"", let end = d.dropFirst().firstIndex(of: quote) else {
            throw fail("malformed 'descr' field")
        }
        var descr = String(d[d.index(after: d.startIndex)..<end])
        if descr.hasPrefix("|") || descr.hasPrefix("=") { descr = "<" + descr.dropFirst() }
        let f = try value(of: "fortran_order")
        let fortran: Bool
        if f.hasPrefix("False") { fortran = false } else if f.hasPrefix("True") { fortran = true } else { throw fail("malformed 'fortran_order' field") }
        let s = try value(of: "shape")
        guard s.first == "(", let close = s.firstIndex(of: ")") else { throw fail("malformed 'shape' field") }
        let inside = s[s.index(after: s.startIndex)..<close]
        var shape: [Int] = []
        for part in inside.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed), n >= 0 else { throw fail("malformed dimension '\(trimmed)' in shape") }
            shape.append(n)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
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

import DiffuseTensor
import Foundation

/// An error reading or writing a safetensors file or a ``Checkpoint`` folder (including weights
/// that do not fit the model meant to use them), naming the file and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (plus an
/// optional `"__metadata__"` map of strings), then the raw little-endian data, offsets relative
/// to the end of the header.
///
/// Reading accepts F32, F64, F16 and BF16 (converted to the requested type) and validates
/// everything before touching the data: the header length (at most 100 MB and inside the file),
/// the JSON, each dtype and shape, that `end − begin` equals the element count times the element
/// size, and that the tensors tile the data region exactly with no gaps or overlaps. A malformed
/// file is a thrown ``SafeTensorsError``, never a crash. Writing produces F32 or F64 (the
/// parameter set's type) and is atomic.
public enum SafeTensors {
    static let maximumHeaderSize = 100_000_000

    private struct Entry { var name: String; var dtype: String; var shape: [Int]; var begin: Int; var end: Int }

    /// The tensors of a file, converted to `S`, in the order of their data offsets, and the metadata.
    public static func read<S: TensorScalar>(_ url: URL, as _: S.Type = S.self) throws -> (parameters: ParameterSet<S>, metadata: [String: String]) {
        let data: Data
        switch InputFile.contents(of: url, mapped: true) {
        case .success(let d): data = d
        case .failure(let e): throw SafeTensorsError(path: url.path, reason: "cannot read file: \(e.reason)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of a safetensors file; `path` names the source in errors.
    public static func decode<S: TensorScalar>(_ data: Data, path: String = "<data>", as _: S.Type = S.self) throws -> (parameters: ParameterSet<S>, metadata: [String: String]) {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("file is shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(maximumHeaderSize) else { throw fail("header length \(headerLength) exceeds the limit of \(maximumHeaderSize) bytes") }
        guard Int(headerLength) <= data.count - 8 else { throw fail("header length \(headerLength) runs past the end of the file (\(data.count) bytes)") }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(headerLength)))
        guard headerData.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw fail("header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataStart = 8 + Int(headerLength)
        let dataSize = data.count - dataStart

        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("entry '\(name)' has no dtype") }
            guard let shapeValues = info["shape"] as? [Any] else { throw fail("entry '\(name)' has no shape") }
            var shape: [Int] = []
            for d in shapeValues {
                guard let n = d as? Int, n >= 0, n <= Int(Int32.max) else { throw fail("entry '\(name)' has an invalid dimension \(d)") }
                shape.append(n)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = offsets[0] as? Int, let end = offsets[1] as? Int, begin >= 0, end >= begin else {
                throw fail("entry '\(name)' has invalid data_offsets")
            }
            let itemSize: Int
            switch dtype {
            case "F32": itemSize = 4
            case "F64": itemSize = 8
            case "F16", "BF16": itemSize = 2
            default: throw fail("entry '\(name)' has unsupported dtype \(dtype) (supported: F32, F64, F16, BF16)")
            }
            let bytes: Int
            switch DeclaredShape.byteCount(of: shape, itemSize: itemSize) {
            case .success(let n): bytes = n
            case .failure(let error): throw fail("entry '\(name)' has an unusable \(error)")
            }
            guard end - begin == bytes else {
                throw fail("entry '\(name)': shape \(shape) of \(dtype) needs \(bytes) bytes, offsets give \(end - begin)")
            }
            guard end <= dataSize else { throw fail("entry '\(name)': data_offsets end \(end) is past the data region (\(dataSize) bytes)") }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for e in entries {
            guard e.begin == position else {
                throw fail(e.begin < position ? "entry '\(e.name)' overlaps the previous tensor" : "gap in the data before entry '\(e.name)'")
            }
            position = e.end
        }
        guard position == dataSize else { throw fail("data region has \(dataSize - position) bytes not covered by any tensor") }

        var result = ParameterSet<S>()
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart
            for e in entries {
                let n = Shape.count(of: e.shape)
                let p = base + e.begin
                let t = Tensor<S>(shape: e.shape) { out in
                    for i in 0..<n {
                        switch e.dtype {
                        case "F32": out[i] = S(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                        case "F64": out[i] = S(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                        case "F16": out[i] = S(halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                        default: out[i] = S(Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16))
                        }
                    }
                }
                result.insert(t, named: e.name)
            }
        }
        return (result, metadata)
    }

    /// IEEE half precision to single precision (normals, subnormals, infinities, NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// The bytes of a safetensors file holding `parameters` (F32 for `Float`, F64 for `Double`),
    /// in the parameter set's order, header padded with spaces to a multiple of 8 bytes.
    public static func encode<S: TensorScalar>(_ parameters: ParameterSet<S>, metadata: [String: String] = [:]) -> Data {
        let dtype = S.self == Float.self ? "F32" : "F64"
        let itemSize = MemoryLayout<S>.size
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            fields.append("\"__metadata__\":{\(m)}")
        }
        var offset = 0
        for (name, tensor) in parameters.entries {
            let size = tensor.count * itemSize
            fields.append("\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += fields.joined(separator: ",") + "}"
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + offset)
        for (_, tensor) in parameters.entries {
            tensor.withUnsafeBufferPointer { p in
                // The machine is little-endian (x86-64, arm64), so the buffer is already the file format.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self), count: p.count * itemSize))
            }
        }
        return data
    }

    /// Writes `parameters` to a safetensors file atomically (temporary file, then rename).
    public static func write<S: TensorScalar>(_ parameters: ParameterSet<S>, to url: URL, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(encode(parameters, metadata: metadata), to: url)
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// A trained model on disk: `model.safetensors` (the weights) and `config.json` (the model's
/// `Codable` configuration) in one folder, each written atomically.
public enum Checkpoint {
    /// The most weights a configuration read from a file may describe (2²⁸, 1 GiB of Float):
    /// loaders check a configuration against it before building the model, so a hand-edited
    /// `config.json` cannot make the program allocate without bound.
    public static let maximumConfiguredWeights = 1 << 28

    /// The metadata key of `model.safetensors` holding the text of the `config.json` saved with it.
    public static let configurationKey = "diffuse.config.json"

    /// Saves weights and configuration into `folder`: the weights first (with the
    /// configuration's text in their metadata), then `config.json`, each atomically.
    public static func save<S: TensorScalar, C: Encodable>(parameters: ParameterSet<S>, configuration: C, to folder: URL,
                                                           metadata: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let config = try encoder.encode(configuration)
        // The weights carry the configuration they were saved with, and are written first: a
        // save interrupted between the two files leaves a pair that load refuses as mismatched.
        var withConfig = metadata
        withConfig[configurationKey] = String(decoding: config, as: UTF8.self)
        try SafeTensors.write(parameters, to: folder.appendingPathComponent("model.safetensors"), metadata: withConfig)
        try AtomicFile.write(config, to: folder.appendingPathComponent("config.json"))
    }

    /// Loads weights (converted to `S`) and configuration from `folder`. `validate` checks the
    /// decoded configuration (its fields' documented limits) before the weights are read.
    ///
    /// - Throws: ``SafeTensorsError`` naming the file: unreadable or malformed configuration or
    ///   weights, a configuration `validate` refuses (its error, with `config.json`'s path),
    ///   weights saved with another configuration (an interrupted save, or files of two runs),
    ///   or a tensor holding a non-finite value (named; training that diverged can save such
    ///   weights, and a model using them would only produce NaN).
    public static func load<S: TensorScalar, C: Decodable>(from folder: URL, as _: S.Type = S.self, configuration _: C.Type,
                                                           validate: (C) throws -> Void = { _ in }) throws -> (parameters: ParameterSet<S>, configuration: C) {
        let configURL = folder.appendingPathComponent("config.json")
        let configData: Data
        switch InputFile.contents(of: configURL) {
        case .success(let d): configData = d
        case .failure(let e): throw SafeTensorsError(path: configURL.path, reason: "cannot read configuration: \(e.reason)")
        }
        let configuration: C
        if let key = JSONRepeatedKeys.first(in: configData) {
            throw SafeTensorsError(path: configURL.path, reason: "invalid configuration: key '\(key.prefix(100))' appears twice in one object")
        }
        do { configuration = try JSONDecoder().decode(C.self, from: configData) } catch {
            throw SafeTensorsError(path: configURL.path, reason: "invalid configuration: \(error)")
        }
        do { try validate(configuration) } catch let error as SafeTensorsError { throw error } catch {
            throw SafeTensorsError(path: configURL.path, reason: "\(error)")
        }
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        let (parameters, weightsMetadata) = try SafeTensors.read(weightsURL, as: S.self)
        // Files saved by this version carry their configuration: the pair must match (an
        // interrupted save or a copy from another run would otherwise load silently).
        if let saved = weightsMetadata[configurationKey], saved != String(decoding: configData, as: UTF8.self) {
            throw SafeTensorsError(path: folder.path, reason: "config.json and model.safetensors come from different saves (an interrupted save, or files copied from two runs)")
        }
        if let name = parameters.firstNonFiniteName() {
            throw SafeTensorsError(path: weightsURL.path, reason: "tensor '\(name)' holds a NaN or infinite weight (or one too large for \(S.self)); the checkpoint is unusable")
        }
        return (parameters, configuration)
    }
}

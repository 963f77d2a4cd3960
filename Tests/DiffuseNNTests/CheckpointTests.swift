import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseNN

final class CheckpointTests: XCTestCase {
    /// The fixture was written by Python `safetensors` (see Fixtures/README.md for the command).
    func testReadsAFileWrittenByPythonSafetensors() throws {
        let url = Bundle.module.url(forResource: "Fixtures/python_written.safetensors", withExtension: nil)!
        let (p, metadata) = try SafeTensors.read(url, as: Float.self)
        XCTAssertEqual(metadata, ["format": "np"])
        XCTAssertEqual(Set(p.names), ["blocks.0.linear.weight", "blocks.0.linear.bias", "embedding.weight", "half", "brain"])
        XCTAssertEqual(p["blocks.0.linear.weight"], Tensor(shape: [2, 3], scalars: [-0.25, -0.125, 0, 0.125, 0.25, 0.375]))
        XCTAssertEqual(p["blocks.0.linear.bias"], Tensor([1.5, -2.0]))
        XCTAssertEqual(p["half"], Tensor([1.0, -0.5, 65504.0, 6.103515625e-05]))
        XCTAssertEqual(p["brain"]!.scalars[0], 1)
        XCTAssertEqual(p["brain"]!.scalars[1], -3.140625)
        XCTAssertEqual(Double(p["brain"]!.scalars[2]), 1.00025555e30, accuracy: 1e24)
        let (d, _) = try SafeTensors.read(url, as: Double.self)
        XCTAssertEqual(d["embedding.weight"], Tensor(shape: [2, 2], scalars: [0.1, 0.2, 0.3, 0.4]))
    }

    func testRoundTripAndCheckpointFolder() throws {
        let model = MLP(name: "mlp", sizes: [3, 4, 2])
        let p: ParameterSet<Float> = model.makeParameters(key: RandomKey(seed: 1))
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("round.safetensors")
        try SafeTensors.write(p, to: url, metadata: ["step": "10"])
        let (back, metadata) = try SafeTensors.read(url, as: Float.self)
        XCTAssertEqual(back, p)
        XCTAssertEqual(metadata, ["step": "10"])
        let (asDouble, _) = try SafeTensors.read(url, as: Double.self)
        XCTAssertEqual(asDouble, p.converted(to: Double.self))
        let d: ParameterSet<Double> = model.makeParameters(key: RandomKey(seed: 2))
        XCTAssertEqual(try SafeTensors.decode(SafeTensors.encode(d), as: Double.self).parameters, d)
        let checkpointFolder = folder.appendingPathComponent("checkpoint")
        try Checkpoint.save(parameters: p, configuration: model, to: checkpointFolder)
        let (loaded, config) = try Checkpoint.load(from: checkpointFolder, as: Float.self, configuration: MLP.self)
        XCTAssertEqual(loaded, p)
        XCTAssertEqual(config, model)
    }

    /// Weights checked against the model that will use them: the first missing name or differing
    /// shape is named; extra tensors are allowed.
    func testParameterMismatchNamesTheParameter() {
        let expected = ParameterSet<Float>([("w", Tensor(zeros: [3, 3])), ("b", Tensor(zeros: [3]))])
        XCTAssertNil(expected.firstMismatch(against: expected))
        XCTAssertNil(ParameterSet<Float>([("w", Tensor(zeros: [3, 3])), ("b", Tensor(zeros: [3])), ("extra", Tensor([1]))]).firstMismatch(against: expected))
        XCTAssertEqual(ParameterSet<Float>([("w", Tensor(zeros: [3, 3]))]).firstMismatch(against: expected), "lacks parameter 'b'")
        XCTAssertEqual(ParameterSet<Float>([("w", Tensor(zeros: [2, 3])), ("b", Tensor(zeros: [3]))]).firstMismatch(against: expected),
                       "parameter 'w' has shape [2, 3], the model needs [3, 3]")
    }

    func testCorruptedFilesThrow() {
        let p = ParameterSet<Float>([("a", Tensor([1, 2])), ("b", Tensor([3]))])
        let good = SafeTensors.encode(p)
        func expectFailure(_ data: Data, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensors.decode(data, path: "bad.safetensors", as: Float.self), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
                XCTAssertTrue("\(error)".hasPrefix("bad.safetensors"), line: line)
            }
        }
        expectFailure(good.prefix(5), "shorter than")
        var huge = good
        huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        expectFailure(huge, "exceeds the limit")
        var pastEnd = good
        pastEnd.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(good.count).littleEndian) { Data($0) })
        expectFailure(pastEnd, "past the end")
        expectFailure(good.prefix(good.count - 4), "past the data region")
        expectFailure(good + Data([0, 0, 0, 0]), "not covered")
        func withHeader(_ json: String, dataBytes: Int) -> Data {
            var d = Data()
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { d.append(contentsOf: $0) }
            d.append(contentsOf: Array(json.utf8))
            d.append(Data(count: dataBytes))
            return d
        }
        expectFailure(withHeader("[1,2]", dataBytes: 0), "does not start with")
        expectFailure(withHeader("{\"a\": ", dataBytes: 0), "not valid JSON")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", dataBytes: 1), "unsupported dtype")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", dataBytes: 8), "needs 12 bytes")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", dataBytes: 4), "invalid dimension")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", dataBytes: 8), "overlaps")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", dataBytes: 8), "gap")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", dataBytes: 4), "data_offsets")
        expectFailure(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", dataBytes: 8), "data_offsets")
        XCTAssertThrowsError(try SafeTensors.read(URL(fileURLWithPath: "/no/such/file.safetensors"), as: Float.self))
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(SafeTensors.halfToFloat(0x3C00), 1)
        XCTAssertEqual(SafeTensors.halfToFloat(0xC000), -2)
        XCTAssertEqual(SafeTensors.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0001), 0x1p-24)
        XCTAssertEqual(SafeTensors.halfToFloat(0x7C00), .infinity)
        XCTAssertTrue(SafeTensors.halfToFloat(0x7E00).isNaN)
    }
}

/// Checkpoints from outside: impossible shapes and non-finite weights are named errors.
final class HostileCheckpointTests: XCTestCase {
    /// A safetensors file with one entry of this JSON and these data bytes.
    private func safetensors(_ entry: String, data: Int) -> Data {
        var header = "{\"w\":\(entry)}"
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: data))
        return bytes
    }

    func testShapesWhoseSizeOverflowsAreErrors() {
        let huge = safetensors("{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,8]}", data: 8)
        XCTAssertThrowsError(try SafeTensors.decode(huge, path: "huge.safetensors", as: Float.self)) {
            XCTAssertEqual("\($0)", "huge.safetensors: entry 'w' has an unusable shape [2147483647, 2147483647]: the size in bytes (4611686014132420609 × 8) overflows a 64-bit integer")
        }
        let empty = safetensors("{\"dtype\":\"F32\",\"shape\":[0,2147483647,2147483647],\"data_offsets\":[0,0]}", data: 0)
        XCTAssertThrowsError(try SafeTensors.decode(empty, path: "empty.safetensors", as: Float.self)) {
            XCTAssertTrue("\($0)".contains("an empty array whose other dimensions multiply to more than"), "\($0)")
        }
    }

    func testNonFiniteWeightsAreRefusedWithTheTensorsName() throws {
        let model = MLP(name: "mlp", sizes: [2, 3, 1])
        var p: ParameterSet<Float> = model.makeParameters(key: RandomKey(seed: 2))
        let folder = try makeTemporaryFolder()
        struct Configuration: Codable { var sizes: [Int] }
        try Checkpoint.save(parameters: p, configuration: Configuration(sizes: [2, 3, 1]), to: folder)
        XCTAssertNoThrow(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self))
        let name = p.names[1]
        var broken = p[name]!.scalars
        broken[0] = .nan
        p[name] = Tensor(shape: p[name]!.shape, scalars: broken)
        try Checkpoint.save(parameters: p, configuration: Configuration(sizes: [2, 3, 1]), to: folder)
        XCTAssertThrowsError(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self)) {
            XCTAssertTrue("\($0)".contains("model.safetensors: tensor '\(name)' holds a NaN or infinite weight"), "\($0)")
        }
        // Finite in Double, too large for Float: refused when read as Float.
        var large = ParameterSet<Double>()
        large.insert(Tensor([1e300]), named: "big")
        try Checkpoint.save(parameters: large, configuration: Configuration(sizes: []), to: folder)
        XCTAssertNoThrow(try Checkpoint.load(from: folder, as: Double.self, configuration: Configuration.self))
        XCTAssertThrowsError(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self))
    }
}

/// A save interrupted between its two files leaves a pair that load refuses.
final class CheckpointPairTests: XCTestCase {
    func testWeightsAndConfigurationFromDifferentSavesAreRefused() throws {
        struct Configuration: Codable { var steps: Int }
        let folder = try makeTemporaryFolder()
        var p = ParameterSet<Float>()
        p.insert(Tensor([1, 2]), named: "w")
        try Checkpoint.save(parameters: p, configuration: Configuration(steps: 10), to: folder)
        XCTAssertEqual(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self).configuration.steps, 10)
        // The new weights were written, then the process died before config.json.
        let other = try makeTemporaryFolder()
        try Checkpoint.save(parameters: p, configuration: Configuration(steps: 20), to: other)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: other.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self)) {
            XCTAssertTrue("\($0)".contains("config.json and model.safetensors come from different saves"), "\($0)")
        }
        // Weights without the configuration (other tools, earlier versions) still load.
        try SafeTensors.write(p, to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertNoThrow(try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self))
    }

    /// Repeated keys are found per object, after escapes, and not across objects or in strings.
    func testRepeatedJSONKeys() {
        func first(_ text: String) -> String? { JSONRepeatedKeys.first(in: Data(text.utf8)) }
        XCTAssertNil(first(#"{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}"#))
        XCTAssertEqual(first(#"{"a": 1, "b": 2, "a": 3}"#), "a")
        XCTAssertEqual(first(#"{"x": [{"k": 1, "k": 2}]}"#), "k")
        XCTAssertEqual(first(#"{"a": 1, "\u0061": 2}"#), "a")                    // the same key, escaped
        XCTAssertNil(first(#"{"a": "a,\"a\": {", "b": ["a", "a"]}"#))          // keys inside strings and array values are not keys
        XCTAssertEqual(first(#"{"s": "x\\", "s": 1}"#), "s")                    // an escaped backslash ends before the quote
        XCTAssertNil(first("not json {"))
    }
}

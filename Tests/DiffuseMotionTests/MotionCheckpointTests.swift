import DiffuseNN
import DiffuseTensor
@testable import DiffuseMotion
import Foundation
import XCTest

/// Done-when: a checkpoint that does not match gets a named error. Checkpoints round-trip; a
/// configuration field outside its limits is named with `config.json`'s path before any weight is
/// read; weights of another network are named with the tensor; action names must fit the network.
final class MotionCheckpointTests: XCTestCase {
    let actions = MotionAction.allCases.map(\.rawValue)
    var normalization: FeatureNormalization {
        try! FeatureNormalization(clips: [[[Double]](repeating: [Double](repeating: 0, count: 263), count: 1) + [[Double](repeating: 1, count: 263)]])
    }
    func generator(width: Int = 8) -> MotionTransformer {
        MotionTransformer(frames: 4, actionCount: actions.count, modelSize: width, heads: 2, layers: 1, feedForwardSize: 8, latentSize: 3)
    }
    func checkpoint(width: Int = 8) -> EMDMCheckpoint {
        EMDMCheckpoint(configuration: DenoisingGANConfiguration(generator: generator(width: width), discriminator: MotionDiscriminator(frames: 4, actionCount: actions.count, timeSize: 4, hiddenSizes: [8]),
                                                                normalization: normalization), actions: actions)
    }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motion-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testRoundTrip() throws {
        let url = try folder()
        let parameters = generator().makeParameters(as: Float.self, key: RandomKey(seed: 3))
        try checkpoint().save(parameters: parameters, to: url)
        let (loaded, restored) = try EMDMCheckpoint.load(from: url)
        XCTAssertEqual(restored.configuration, checkpoint().configuration)
        XCTAssertEqual(restored.actions, actions)
        XCTAssertNil(loaded.firstMismatch(against: parameters))
        XCTAssertEqual(loaded[parameters.names[0]]!.scalars, parameters[parameters.names[0]]!.scalars)
    }

    func testFieldOutsideItsLimitsIsNamed() throws {
        let url = try folder()
        try checkpoint().save(parameters: generator().makeParameters(as: Float.self, key: RandomKey(seed: 3)), to: url)
        let config = url.appendingPathComponent("config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        for (from, to, field) in [("\"layers\" : 1", "\"layers\" : 0", "configuration.generator.layers"),
                                  ("\"steps\" : 10", "\"steps\" : 100000", "configuration.steps"),
                                  ("\"latentSize\" : 3", "\"latentSize\" : 0", "configuration.generator.latentSize"),
                                  ("\"idle\"", "\"idle\", \"extra\"", "actions")] {
            XCTAssertTrue(text.contains(from), from)
            try text.replacingOccurrences(of: from, with: to).write(to: config, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try EMDMCheckpoint.load(from: url)) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(field) && message.contains("config.json"), message)
            }
        }
    }

    func testWeightsOfAnotherNetworkAreNamed() throws {
        let url = try folder()
        // A consistent save (config.json matches the weights' metadata) of a wider network's weights.
        try Checkpoint.save(parameters: generator(width: 16).makeParameters(as: Float.self, key: RandomKey(seed: 3)), configuration: checkpoint(width: 8), to: url)
        XCTAssertThrowsError(try EMDMCheckpoint.load(from: url)) { error in
            guard let error = error as? MotionFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.path.hasSuffix("model.safetensors") && error.reason.contains("do not fit"), "\(error)")
        }
        // The other checkpoint kinds check their own fields.
        XCTAssertThrowsError(try EvaluatorCheckpoint(classifier: MotionClassifier(actionCount: 3), actions: ["a", "b"], frames: 40, normalization: normalization).validate()) {
            XCTAssertEqual(($0 as? TrainingConfigurationError)?.field, "actions")
        }
        XCTAssertThrowsError(try BaselineCheckpoint(configuration: MotionDiffusionConfiguration(network: MotionTransformer(frames: 4, actionCount: 11), trainingTimesteps: 1, normalization: normalization),
                                                    actions: actions).validate()) {
            XCTAssertEqual(($0 as? TrainingConfigurationError)?.field, "configuration.trainingTimesteps")
        }
    }
}

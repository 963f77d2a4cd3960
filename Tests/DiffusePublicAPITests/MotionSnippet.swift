import DiffuseCore
import DiffuseMotion
import DiffuseNN
import DiffuseTensor
import Foundation
import XCTest

// docs/Motion.md, "Library use", verbatim.

/// docs/Motion.md: a procedural clip to features and back, to BVH, and a few EMDM samples.
func motionLibraryUse(folder: URL) throws -> (error: Double, samples: Tensor<Float>) {
    // A benchmark clip: 22 joints per frame, 20 frames per second, feet planted by construction.
    let clip = ProceduralMotion.generate(.sample(action: .walk, seed: 7))
    let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)   // (F − 1) × 263
    let back = try HumanML3DFeatures.positions(rows)                                   // recover_from_ric
    let canonical = HumanML3DFeatures.canonicalized(clip.positions)
    let error = zip(back, canonical).map { zip($0, $1).map { ($0 - $1).length }.max()! }.max()!
    try BVHFile.write(clip.positions, skeleton: clip.skeleton, to: folder.appendingPathComponent("walk.bvh"))

    // EMDM's generator as a DiffuseCore model: 10 DDGAN posterior steps with the DDPM sampler.
    let generator = MotionTransformer(frames: 40, actionCount: MotionAction.allCases.count, latentSize: 32)
    let discriminator = MotionDiscriminator(frames: 40, actionCount: MotionAction.allCases.count)
    let configuration = DenoisingGANConfiguration(generator: generator, discriminator: discriminator,
                                                  normalization: try FeatureNormalization(clips: [rows]))
    let model = MotionDenoiserModel(network: generator, parameters: generator.makeParameters(key: RandomKey(seed: 0)))
    let samples = model.sample(labels: [0, 3, 8], frames: 40,
                               grid: .discrete(configuration.schedule, steps: configuration.steps, spacing: .linspace),
                               sampler: DDPMSampler<Tensor<Float>>(), key: RandomKey(seed: 1)).samples
    return (error, samples)   // untrained weights here; `motion train --model emdm` trains them
}

/// A trained EMDM checkpoint: `count` motions of an action as joint positions (frames × 22 joints).
func sampleMotions(checkpoint folder: URL, action: MotionAction, count: Int) throws -> [[[Vector3]]] {
    // Sizes are checked before anything is built, the weights by name and shape.
    let (weights, checkpoint) = try EMDMCheckpoint.load(from: folder)
    let c = checkpoint.configuration
    guard let label = checkpoint.actions.firstIndex(of: action.rawValue) else { return [] }
    let model = MotionDenoiserModel(network: c.generator, parameters: weights)
    let samples = model.sample(labels: Array(repeating: label, count: count), frames: c.generator.frames,
                               grid: .discrete(c.schedule, steps: c.steps, spacing: .linspace),
                               sampler: DDPMSampler<Tensor<Float>>(), key: RandomKey(seed: 1)).samples
    return try c.normalization.denormalize(windows: samples).map(HumanML3DFeatures.positions)
}

final class MotionSnippetTests: XCTestCase {
    func testMotionLibraryUseRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-motion-snippet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (error, samples) = try motionLibraryUse(folder: folder)
        XCTAssertLessThan(error, 1e-4)
        XCTAssertEqual(samples.shape, [3, 40, 263])
        XCTAssertTrue(samples.scalars.allSatisfy(\.isFinite))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("walk.bvh").path))
    }

    func testSamplingTheBundledCheckpointRuns() throws {
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/Motion/Checkpoints/emdm")
        let motions = try sampleMotions(checkpoint: bundled, action: .jump, count: 2)
        XCTAssertEqual(motions.count, 2)
        XCTAssertEqual(motions[0].count, 40)
        XCTAssertEqual(motions[0][0].count, 22)
        XCTAssertTrue(motions.joined().joined().allSatisfy { $0.x.isFinite && $0.y.isFinite && $0.z.isFinite })
    }
}

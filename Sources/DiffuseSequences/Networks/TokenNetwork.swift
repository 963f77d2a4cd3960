import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// A network from token sequences (K data tokens and the mask, token K) and their times to the
/// logits `[count, length, K]` of p(x₀ | x_t), whose rows do not interact.
public protocol TokenNetwork: Layer, Equatable {
    /// The number K of data tokens.
    var vocabularySize: Int { get }
    /// Whether the logits depend on the times (samplers cannot reuse them across times then).
    var usesTime: Bool { get }
    /// The logits of a batch at its times (one per sequence).
    func callAsFunction<S: TensorScalar>(_ x: TokenBatch, times: [Double], _ parameters: BoundParameters<S>) -> Variable<S>
    /// Checks every field against its documented range (values may come from a file); `fail`
    /// makes the error for a field, a value and the rule it breaks.
    func check(_ fail: (_ field: String, _ value: Any, _ rule: String) -> Error) throws
}

extension TokenNetwork {
    /// The logits of a batch for a network without time input.
    public func callAsFunction<S: TensorScalar>(_ x: TokenBatch, _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(!usesTime, "this network takes a time per sequence: call it with times")
        return self(x, times: [Double](repeating: 0, count: x.sampleCount), parameters)
    }
}

/// A trained ``TokenNetwork`` as a `TokenDenoiser`. With a `batchChunkSize` the batch is
/// evaluated in chunks of that many sequences spread over the cores (the rows do not interact,
/// so the logits are the same).
public struct TokenNetworkDenoiser<Network: TokenNetwork, S: TensorScalar>: TokenDenoiser {
    public let network: Network
    public let parameters: ParameterSet<S>
    public let batchChunkSize: Int?

    public init(network: Network, parameters: ParameterSet<S>, batchChunkSize: Int? = nil) {
        self.network = network
        self.parameters = parameters
        self.batchChunkSize = batchChunkSize
    }

    public var vocabularySize: Int { network.vocabularySize }
    public var usesTime: Bool { network.usesTime }
    /// A sequence's logits depend on it alone.
    public var rowsAreIndependent: Bool { true }

    public func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<S> {
        let constants = parameters.constants
        guard let size = batchChunkSize, x.sampleCount > size else { return network(x, times: times, constants).value }
        let parts = Parallel.map(Parallel.chunks(count: x.sampleCount, chunkSize: size)) { rows in
            network(x.gatheringSamples(Array(rows)), times: Array(times[rows]), constants).value
        }
        return Tensor.concatenate(parts, alongAxis: 0)
    }
}

/// The dilated CNN as a denoiser.
public typealias DilatedConvolutionDenoiser<S: TensorScalar> = TokenNetworkDenoiser<DilatedConvolutionNetwork, S>

/// The networks a ``SequenceModel`` can hold. Encoded as the network's own fields plus
/// `"architecture"` (`convolution` or `transformer`; a file without it holds a convolution).
public enum SequenceNetwork: TokenNetwork {
    case convolution(DilatedConvolutionNetwork)
    case transformer(SequenceTransformer)

    public var vocabularySize: Int {
        switch self {
        case .convolution(let n): return n.vocabularySize
        case .transformer(let n): return n.vocabularySize
        }
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        switch self {
        case .convolution(let n): n.initialize(&parameters, key: key)
        case .transformer(let n): n.initialize(&parameters, key: key)
        }
    }

    public var usesTime: Bool {
        switch self {
        case .convolution(let n): return n.usesTime
        case .transformer(let n): return n.usesTime
        }
    }

    public func callAsFunction<S: TensorScalar>(_ x: TokenBatch, times: [Double], _ parameters: BoundParameters<S>) -> Variable<S> {
        switch self {
        case .convolution(let n): return n(x, times: times, parameters)
        case .transformer(let n): return n(x, times: times, parameters)
        }
    }

    public func check(_ fail: (String, Any, String) -> Error) throws {
        switch self {
        case .convolution(let n): try n.check(fail)
        case .transformer(let n): try n.check(fail)
        }
    }

    /// A short description: architecture and size.
    public var summary: String {
        switch self {
        case .convolution(let n): return "dilated CNN, hidden \(n.hidden) × \(n.dilations.count * n.stacks) convolutions" + (n.timeEmbedding.map { ", time embedding \($0)" } ?? "")
        case .transformer(let n): return "Transformer, width \(n.modelSize) × \(n.layers) layers, \(n.heads) heads"
        }
    }

    enum CodingKeys: String, CodingKey { case architecture }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decodeIfPresent(String.self, forKey: .architecture) ?? "convolution" {
        case "convolution": self = .convolution(try DilatedConvolutionNetwork(from: decoder))
        case "transformer": self = .transformer(try SequenceTransformer(from: decoder))
        case let other: throw DecodingError.dataCorruptedError(forKey: .architecture, in: c, debugDescription: "unknown architecture '\(other)' (convolution or transformer)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .convolution(let n): try c.encode("convolution", forKey: .architecture); try n.encode(to: encoder)
        case .transformer(let n): try c.encode("transformer", forKey: .architecture); try n.encode(to: encoder)
        }
    }
}

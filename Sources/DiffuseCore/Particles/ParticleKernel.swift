import DiffuseTensor

/// One step of a pretrained sampler as a transition of particles: the unit that every
/// particle method (best-of-N, SVDD, Feynman–Kac steering and SMC) is written over, so one
/// implementation serves continuous and discrete samplers.
///
/// `propagate` receives a ``SamplingContext`` whose model state is the kernel's own run state,
/// whose `sampleOffset` is the global index of the first particle row, and whose step key is the
/// step's: a kernel gives particle j a stream of its own from the step key and the global row
/// `sampleOffset + j` (`context.noise(like:)` does this for continuous particles), so results do
/// not depend on the batch, and counts every model call with `context.countEvaluations`, so
/// methods compare at equal compute.
///
/// The kernel's state is per run and shared by all particles (a cache, for example); whatever is
/// per particle belongs in `Particles`, which the methods gather when they resample.
public protocol ParticleKernel {
    associatedtype Particles: ParticleBatch
    associatedtype State = Void

    /// The number of steps.
    var stepCount: Int { get }
    /// The run state at the start.
    func makeState() -> State
    /// Advances particles one step (stochastically).
    func propagate(_ particles: Particles, step: Int, context: inout SamplingContext<Particles, State>) -> Particles
    /// The clean-data estimates of particles that step `step` has just produced (what rewards and
    /// values score). Methods that score only final particles (best-of-N) never ask, so a kernel
    /// whose estimate costs a model call spends it only when needed; one whose step already
    /// yields the estimate keeps it in its state.
    func estimate(_ particles: Particles, afterStep step: Int, context: inout SamplingContext<Particles, State>) -> Particles
}

extension ParticleKernel where State == Void {
    public func makeState() {}
}

/// A continuous sampler step as a particle kernel (stochastic samplers without state: DDPM, DDIM
/// with η > 0, Euler–Maruyama, EDM with churn). The clean estimate of the new particles is the
/// model's x̂₀ at the next grid point (one more counted evaluation), or the particles themselves
/// at the clean end.
public struct ContinuousParticleKernel<M: PredictionModel, S: Sampler>: ParticleKernel
    where M.Value: SampleBatch, S.Value == M.Value, S.State == Void, M.State == Void {
    /// The sampler bound to its model and grid; a particle step is a step of this chain.
    public let chain: GridChain<M, S>

    public init(model: M, sampler: S, grid: TimeGrid) {
        chain = GridChain(model: model, sampler: sampler, grid: grid)
    }

    public var stepCount: Int { chain.stepCount }

    public func propagate(_ particles: M.Value, step: Int, context: inout SamplingContext<M.Value, Void>) -> M.Value {
        var state: Void = ()
        return chain.step(particles, index: step, context: &context, state: &state)
    }

    public func estimate(_ particles: M.Value, afterStep step: Int, context: inout SamplingContext<M.Value, Void>) -> M.Value {
        let q = chain.grid.points[step + 1]
        return q.isClean ? particles : context.predict(chain.model, particles, at: q).denoised
    }
}

import DiffuseTensor
import Foundation

/// The continuous parameters of one procedural clip; everything else follows from `seed`.
public struct MotionParameters: Codable, Equatable, Sendable {
    public var action: MotionAction
    public var seed: UInt64
    /// Length in seconds (2–10 s, as HumanML3D clips).
    public var duration: Double
    /// Root speed in m/s (gaits).
    public var speed: Double
    /// Stride in metres (gaits).
    public var stride: Double
    /// Heading change in rad/s.
    public var turnRate: Double
    /// The action's amplitude (``MotionAction/amplitudeRange``).
    public var amplitude: Double
    /// Repetitions per second of standing actions.
    public var rate: Double
    /// Overall body size relative to the typical adult (0.9–1.1).
    public var bodyScale: Double

    /// Parameters drawn uniformly from the action's ranges by a stream keyed by `seed`.
    public static func sample(action: MotionAction, seed: UInt64) -> MotionParameters {
        var r = RandomStream(key: RandomKey(seed: seed).folding(in: 1))
        func draw(_ range: ClosedRange<Double>) -> Double { range.lowerBound + (range.upperBound - range.lowerBound) * r.uniformDouble() }
        return MotionParameters(
            action: action, seed: seed, duration: draw(2...10), speed: draw(action.speedRange),
            stride: draw(action.strideRange), turnRate: draw(action.turnRateRange),
            amplitude: draw(action.amplitudeRange), rate: draw(action.rateRange), bodyScale: draw(0.9...1.1))
    }
}

/// Procedural human motion with real kinematic structure, the motion benchmark's generator.
///
/// - **Body.** The 22-joint HumanML3D skeleton with typical adult bone lengths, scaled per subject
///   by `bodyScale` and by ±3 % per bone (left and right alike).
/// - **Feet.** A gait is a schedule of foot plants: foot k is planted for a fraction β of each cycle
///   at the root's ground point at mid-stance plus a lateral offset, and swings between plants on a
///   smooth arc that lifts the foot before it travels and sets it down before it stops. A planted ankle and toe do not move, so the contact ground truth has zero slip by
///   construction. Standing actions keep both feet planted (a jump lifts them only while the pelvis
///   is above straight-leg reach and lands them where they took off).
/// - **Legs** are placed by analytic two-bone inverse kinematics (hip → knee → ankle, knee bending
///   forward), which keeps thigh and shin lengths exact; the pelvis height is the lower of the
///   action's nominal height and what both legs can reach (an inverted-pendulum bob follows).
/// - **Upper body** by forward kinematics: spine lean growing with speed, counter-rotation, arm
///   swing opposite to the legs, bent elbows when running, a waving arm, sway.
/// - **Style noise**: AR(1) processes (ρ = 0.97 per frame) on lean, head, arm amplitude and height.
///
/// Limitations: no momentum model of the pelvis in flight except for jumps; no toe roll; gait
/// speed is constant within a clip.
public enum ProceduralMotion {
    /// Frames per second (HumanML3D's rate).
    public static let framesPerSecond = 20.0

    /// A generated clip.
    public struct Clip: Sendable {
        public var parameters: MotionParameters
        /// The subject's skeleton.
        public var skeleton: Skeleton
        /// World positions, one frame of 22 joints per 1/20 s.
        public var positions: [[Vector3]]
        /// Frames where a leg could not reach its foot target (the ankle was pulled); zero for the
        /// benchmark's parameter ranges (a test checks every clip).
        public var unreachedFrames: Int
    }

    /// The subject's skeleton for a seed and body scale.
    public static func skeleton(seed: UInt64, bodyScale: Double) -> Skeleton {
        var r = RandomStream(key: RandomKey(seed: seed).folding(in: 2))
        var lengths = Skeleton.humanML3DTypicalBoneLengths
        let pairs = [(1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21)]
        for (l, rgt) in pairs {
            let f = bodyScale * (1 + 0.03 * r.normal(Double.self))
            lengths[l] *= f
            lengths[rgt] *= f
        }
        for j in [3, 6, 9, 12, 15] { lengths[j] *= bodyScale * (1 + 0.03 * r.normal(Double.self)) }
        // The lengths are positive and far below 10 m, so this cannot fail.
        return try! Skeleton.humanML3D(boneLengths: lengths)
    }

    /// Generates the clip for `parameters`.
    public static func generate(_ parameters: MotionParameters) -> Clip {
        let p = parameters
        let skeleton = skeleton(seed: p.seed, bodyScale: p.bodyScale)
        let len = skeleton.boneLengths
        let frameCount = Int((p.duration * framesPerSecond).rounded()) + 1
        let legLength = len[4] + len[7]
        let ankleHeight = 0.08 * p.bodyScale, toeHeight = 0.025 * p.bodyScale
        let footHorizontal = (len[10] * len[10] - (ankleHeight - toeHeight) * (ankleHeight - toeHeight)).squareRoot()
        let reach = 0.985 * legLength
        let standHeight = ankleHeight + 0.965 * legLength

        var style = RandomStream(key: RandomKey(seed: p.seed).folding(in: 3))
        let phase0 = style.uniformDouble()
        var noise = [Double](repeating: 0, count: 5)
        let noiseScale = [0.03, 0.12, 0.05, 0.1, 0.006]  // lean, head yaw, head pitch, arm amplitude, height
        let rho = 0.97
        for k in noise.indices { noise[k] = noiseScale[k] * style.normal(Double.self) }

        // Ground path of the root: constant body-frame velocity and turn rate, in closed form.
        let action = p.action
        let turn = p.turnRate
        var forwardSpeed = 0.0, lateralSpeed = 0.0
        switch action {
        case .sidestepLeft: lateralSpeed = p.speed
        case .sidestepRight: lateralSpeed = -p.speed
        default: forwardSpeed = action.isGait ? p.speed : 0
        }
        func heading(_ s: Double) -> Double { turn * s }
        func front(_ a: Double) -> Vector3 { Vector3(sin(a), 0, cos(a)) }
        func left(_ a: Double) -> Vector3 { Vector3(cos(a), 0, -sin(a)) }
        func ground(_ s: Double) -> Vector3 {
            if abs(turn) < 1e-9 { return Vector3(lateralSpeed * s, 0, forwardSpeed * s) }
            let a = turn * s
            let sinA = sin(a) / turn, oneMinusCos = (1 - cos(a)) / turn
            return forwardSpeed * Vector3(oneMinusCos, 0, sinA) + lateralSpeed * Vector3(sinA, 0, -oneMinusCos)
        }

        // Foot schedule (gaits).
        let period = action.isGait ? p.stride / p.speed : 1
        let beta = action.stanceFraction
        let sidestep = action == .sidestepLeft || action == .sidestepRight
        let footWidth = sidestep ? len[1] * 0.5 + p.stride / 4 + 0.06 : len[1] * 0.95
        // Toe clearance in swing, high enough that a travelling foot is more than 5 cm above the floor
        // (the foot-skating threshold) once it moves.
        let clearance = (action == .run ? 0.16 : action == .jog ? 0.14 : 0.12) * p.bodyScale
        func plant(_ n: Int, side: Double, offset: Double) -> (position: Vector3, heading: Double) {
            let tau = (Double(n) + offset - phase0) * period
            let a = heading(tau)
            return (ground(tau) + side * footWidth * left(a), a)
        }
        /// Ankle position and foot heading of one foot at time s (gaits).
        func gaitFoot(_ s: Double, side: Double) -> (ankle: Vector3, heading: Double, planted: Bool) {
            let offset = side > 0 ? 0.0 : 0.5
            let x = s / period + phase0 - offset
            let n = (x).rounded()
            if abs(x - n) <= beta / 2 {
                let pl = plant(Int(n), side: side, offset: offset)
                return (pl.position + Vector3(0, ankleHeight, 0), pl.heading, true)
            }
            let from = plant(Int(x.rounded(.down)), side: side, offset: offset)
            let to = plant(Int(x.rounded(.down)) + 1, side: side, offset: offset)
            let u = (x - x.rounded(.down) - beta / 2) / (1 - beta)
            // The foot rises before it travels and lands before it stops: no low, sliding foot.
            let w = smooth((u - 0.12) / 0.76)
            let position = from.position + w * (to.position - from.position)
            return (position + Vector3(0, ankleHeight + clearance * sin(.pi * u), 0), from.heading + w * (to.heading - from.heading), false)
        }
        func toe(ankle: Vector3, heading a: Double) -> Vector3 {
            ankle + footHorizontal * front(a) + Vector3(0, toeHeight - ankleHeight, 0)
        }
        // Standing feet.
        let standLeft = Vector3(len[1] * 0.95, ankleHeight, 0), standRight = Vector3(-len[1] * 0.95, ankleHeight, 0)

        var frames = [[Vector3]]()
        frames.reserveCapacity(frameCount)
        var unreached = 0
        for t in 0..<frameCount {
            let s = Double(t) / framesPerSecond
            for k in noise.indices { noise[k] = rho * noise[k] + (1 - rho * rho).squareRoot() * noiseScale[k] * style.normal(Double.self) }
            let a = heading(s)
            let gaitPhase = s / period + phase0  // left mid-stance at integers
            let cyclePhase = 2 * Double.pi * gaitPhase
            let repeatPhase = 2 * Double.pi * p.rate * s

            // Pelvis placement and the body's rotations.
            var pelvisGround = ground(s)
            var nominal = standHeight + noise[4]
            var lean = noise[0], twist = 0.0, roll = 0.0, sway = 0.0
            var armSwing = 0.0, elbow = 0.25, waveAngle: Double? = nil
            switch action {
            case .walk, .turnLeft, .turnRight, .jog, .run:
                let crouch = action == .run ? 0.94 : action == .jog ? 0.96 : 0.985
                nominal = ankleHeight + crouch * legLength + noise[4]
                lean += 0.04 + 0.035 * p.speed
                twist = 0.12 * p.amplitude * sin(cyclePhase)
                roll = -0.25 * turn * p.speed * 0.1
                sway = 0.02 * cos(cyclePhase)
                armSwing = p.amplitude * (1 + noise[3])
                elbow = action == .walk || action == .turnLeft || action == .turnRight ? 0.3 : 1.35
            case .sidestepLeft, .sidestepRight:
                nominal = ankleHeight + 0.94 * legLength + noise[4]
                lean += 0.08
                armSwing = p.amplitude * (1 + noise[3])
            case .squat:
                let depth = p.amplitude * (1 - cos(repeatPhase)) / 2
                nominal -= depth
                pelvisGround -= 0.45 * depth * front(a)
                lean += 1.6 * depth
                elbow = 0.3 + 1.5 * depth
            case .jump:
                let cycle = (p.rate * s).truncatingRemainder(dividingBy: 1)
                let g = 9.81, flight = 2 * (2 * p.amplitude / g).squareRoot() * p.rate
                let crouchDepth = 0.12 + 0.3 * p.amplitude
                let straight = ankleHeight + reach
                switch cycle {
                case ..<0.25: nominal = standHeight - crouchDepth * smooth(cycle / 0.25)
                case ..<0.35: nominal = standHeight - crouchDepth + (straight - standHeight + crouchDepth) * smooth((cycle - 0.25) / 0.1)
                case ..<(0.35 + flight):
                    let tau = (cycle - 0.35) / p.rate, v0 = (2 * g * p.amplitude).squareRoot()
                    nominal = straight + v0 * tau - g * tau * tau / 2
                default:
                    let u = min(1, (cycle - 0.35 - flight) / max(1e-6, 1 - 0.35 - flight))
                    nominal = straight - (straight - standHeight + 0.5 * crouchDepth) * sin(.pi * min(1, 2 * u) / 2) + 0.5 * crouchDepth * smooth(max(0, 2 * u - 1))
                }
                lean += 0.25 * max(0, standHeight - nominal) / 0.3
                armSwing = -0.8 * max(0, nominal - standHeight + 0.1)
            case .wave:
                sway = 0.01 * sin(0.5 * repeatPhase)
                waveAngle = p.amplitude * sin(repeatPhase)
            case .idle:
                sway = p.amplitude * sin(repeatPhase)
            }
            let pelvisYaw = a + twist
            let g0 = UnitQuaternion.yaw(pelvisYaw) * UnitQuaternion(axis: Vector3(0, 0, 1), angle: roll)
            let swayOffset = sway * left(a)
            let hipRest = [skeleton.restOffsets[1], skeleton.restOffsets[2]].map { g0.rotate($0) }

            // Feet targets.
            var ankles: [Vector3], footHeadings: [Double]
            if action.isGait {
                let l = gaitFoot(s, side: 1), r = gaitFoot(s, side: -1)
                ankles = [l.ankle, r.ankle]
                footHeadings = [l.heading, r.heading]
            } else {
                ankles = [standLeft, standRight]
                footHeadings = [0, 0]
            }
            // Pelvis height: nominal, limited by what both legs reach.
            var height = nominal
            if action != .jump {
                for k in 0..<2 {
                    let hip = pelvisGround + swayOffset + hipRest[k]
                    let d = Vector3(ankles[k].x - hip.x, 0, ankles[k].z - hip.z).length
                    if d < reach { height = min(height, ankles[k].y - hipRest[k].y + (reach * reach - d * d).squareRoot()) }
                }
            } else {
                // In flight the feet follow the pelvis with straight legs and land where they rose.
                let lift = max(0, height - (ankleHeight + reach))
                ankles = ankles.map { $0 + Vector3(0, lift, 0) }
            }
            let pelvis = pelvisGround + swayOffset + Vector3(0, height, 0)

            // Upper body by forward kinematics.
            var local = [UnitQuaternion](repeating: .identity, count: 22)
            local[0] = g0
            let spineBend = UnitQuaternion(axis: Vector3(1, 0, 0), angle: lean / 3) * UnitQuaternion.yaw(-twist * 0.5)
            local[3] = spineBend; local[6] = spineBend; local[9] = spineBend
            local[12] = UnitQuaternion.yaw(noise[1]) * UnitQuaternion(axis: Vector3(1, 0, 0), angle: -.pi / 2 + noise[2] - 0.6 * lean)
            local[13] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: .pi / 2)
            local[14] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: -.pi / 2)
            let leftSwing = -armSwing * sin(cyclePhase), rightSwing = armSwing * sin(cyclePhase)
            let abduction = action == .jump ? 0.25 : 0.1
            local[16] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: -.pi / 2) * UnitQuaternion(axis: Vector3(1, 0, 0), angle: action.isGait ? leftSwing : armSwing) * UnitQuaternion(axis: Vector3(0, 0, 1), angle: abduction)
            local[17] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: .pi / 2) * UnitQuaternion(axis: Vector3(1, 0, 0), angle: action.isGait ? rightSwing : armSwing) * UnitQuaternion(axis: Vector3(0, 0, 1), angle: -abduction)
            local[18] = UnitQuaternion(axis: Vector3(1, 0, 0), angle: -elbow)
            local[19] = UnitQuaternion(axis: Vector3(1, 0, 0), angle: -elbow)
            if let wave = waveAngle {
                local[17] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: .pi / 2) * UnitQuaternion(axis: Vector3(0, 0, 1), angle: -(.pi / 2 + 0.6))
                local[19] = UnitQuaternion(axis: Vector3(0, 0, 1), angle: -(1.2 + wave))
            }
            var joints = skeleton.positions(root: pelvis, localRotations: local)

            // Legs by two-bone inverse kinematics.
            let legs = [(hip: 1, knee: 4, ankle: 7, toe: 10), (hip: 2, knee: 5, ankle: 8, toe: 11)]
            for (k, leg) in legs.enumerated() {
                let hip = joints[leg.hip]
                let (knee, ankle, reached) = twoBone(hip: hip, target: ankles[k], thigh: len[leg.knee], shin: len[leg.ankle], bendToward: front(footHeadings[k]))
                if !reached { unreached += 1 }
                joints[leg.knee] = knee
                joints[leg.ankle] = ankle
                joints[leg.toe] = toe(ankle: ankle, heading: footHeadings[k])
            }
            frames.append(joints)
        }
        return Clip(parameters: p, skeleton: skeleton, positions: frames, unreachedFrames: unreached)
    }

    /// The knee and ankle of a leg from hip to `target`: the knee in the plane of the leg and
    /// `bendToward`, both bone lengths exact. When the target is out of reach the leg straightens
    /// toward it and `reached` is false.
    static func twoBone(hip: Vector3, target: Vector3, thigh: Double, shin: Double, bendToward: Vector3) -> (knee: Vector3, ankle: Vector3, reached: Bool) {
        var toTarget = target - hip
        var d = toTarget.length
        let maximum = (thigh + shin) * (1 - 1e-9), minimum = abs(thigh - shin) + 1e-6
        var reached = true
        if d > maximum || d < minimum {
            reached = d <= maximum + 1e-9 && d >= minimum
            d = min(max(d, minimum), maximum)
            toTarget = toTarget.normalized * d
        }
        let u = toTarget.normalized
        var v = bendToward - bendToward.dot(u) * u
        if v.length < 1e-9 { v = Vector3(0, 0, 1) - u.z * u }
        v = v.normalized
        let cosA = max(-1, min(1, (thigh * thigh + d * d - shin * shin) / (2 * thigh * d)))
        let knee = hip + thigh * (cosA * u + (1 - cosA * cosA).squareRoot() * v)
        return (knee, hip + toTarget, reached)
    }

    static func smooth(_ u: Double) -> Double {
        let x = min(1, max(0, u))
        return x * x * (3 - 2 * x)
    }
}

/// The actions of the procedural motion benchmark, with the ranges their continuous parameters are
/// drawn from. Speeds, strides and cadences follow ordinary human gait (walking 0.9–1.6 m/s at
/// about 1.8 steps/s; running faster with flight phases and shorter stance).
public enum MotionAction: String, CaseIterable, Codable, Sendable {
    case walk, jog, run
    case sidestepLeft = "sidestep_left", sidestepRight = "sidestep_right"
    case turnLeft = "turn_left", turnRight = "turn_right"
    case jump, squat, wave, idle

    /// Whether the feet travel (a gait) or stay planted (a standing action).
    public var isGait: Bool {
        switch self {
        case .walk, .jog, .run, .sidestepLeft, .sidestepRight, .turnLeft, .turnRight: return true
        case .jump, .squat, .wave, .idle: return false
        }
    }

    /// Root speed in m/s (for gaits; zero otherwise).
    public var speedRange: ClosedRange<Double> {
        switch self {
        case .walk: return 0.9...1.6
        case .jog: return 2.0...2.8
        case .run: return 3.2...4.2
        case .sidestepLeft, .sidestepRight: return 0.5...0.9
        case .turnLeft, .turnRight: return 0.8...1.3
        case .jump, .squat, .wave, .idle: return 0...0
        }
    }

    /// Stride (one full gait cycle, two steps) in metres, for gaits.
    public var strideRange: ClosedRange<Double> {
        switch self {
        case .walk: return 1.1...1.5
        case .jog: return 1.6...2.0
        case .run: return 2.1...2.6
        case .sidestepLeft, .sidestepRight: return 0.6...0.9
        case .turnLeft, .turnRight: return 1.0...1.3
        case .jump, .squat, .wave, .idle: return 1...1
        }
    }

    /// Heading change in rad/s (positive turns left).
    public var turnRateRange: ClosedRange<Double> {
        switch self {
        case .turnLeft: return 0.5...1.2
        case .turnRight: return -1.2...(-0.5)
        default: return 0...0
        }
    }

    /// Fraction of a gait cycle each foot is on the ground.
    public var stanceFraction: Double {
        switch self {
        case .walk, .turnLeft, .turnRight: return 0.62
        case .sidestepLeft, .sidestepRight: return 0.65
        case .jog: return 0.42
        case .run: return 0.36
        case .jump, .squat, .wave, .idle: return 1
        }
    }

    /// The action's own amplitude: jump height of the pelvis (m), squat depth (m), wave swing (rad),
    /// idle sway (m); arm swing (rad) for gaits.
    public var amplitudeRange: ClosedRange<Double> {
        switch self {
        case .walk, .turnLeft, .turnRight: return 0.25...0.55
        case .jog: return 0.45...0.75
        case .run: return 0.6...0.95
        case .sidestepLeft, .sidestepRight: return 0.05...0.2
        case .jump: return 0.12...0.35
        case .squat: return 0.2...0.45
        case .wave: return 0.35...0.7
        case .idle: return 0.01...0.03
        }
    }

    /// Repetition rate in Hz of standing actions (jumps, squats, waves, sway).
    public var rateRange: ClosedRange<Double> {
        switch self {
        case .jump: return 0.6...0.8
        case .squat: return 0.3...0.55
        case .wave: return 1.2...2.2
        case .idle: return 0.15...0.3
        default: return 0...0
        }
    }
}

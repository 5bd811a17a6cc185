using Iced.Intel;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>Where control went after the instruction.</summary>
public enum BranchOutcome
{
    /// <summary>Execution continued at the next instruction (non-branches; branches not taken or targeting the next instruction).</summary>
    NotTaken,

    /// <summary>Control reached <see cref="HostCpu.BranchTargetForward"/>.</summary>
    TakenForward,

    /// <summary>Control reached <see cref="HostCpu.BranchTargetBackward"/>.</summary>
    TakenBackward,
}

/// <summary>What the host did with one instruction.</summary>
public sealed class HostResult
{
    /// <summary>The decoded instruction (IP = <see cref="HostCpu.InstructionAddress"/>).</summary>
    public Instruction Instruction { get; init; }

    /// <summary>True when the instruction would raise an exception on the host (currently: #DE from DIV/IDIV); it was then not executed.</summary>
    public bool Faulted { get; init; }

    /// <summary>Mnemonic of the exception ("#DE") when <see cref="Faulted"/>.</summary>
    public string? Fault { get; init; }

    /// <summary>The effective input (a copy of the caller's input with RSP = <see cref="HostCpu.InitialRsp"/> and RFLAGS masked to <see cref="FlagsMask.Controllable"/> | 2).</summary>
    public required MachineState Input { get; init; }

    /// <summary>State after the instruction; null when <see cref="Faulted"/>. RFLAGS is masked to <see cref="FlagsMask.Controllable"/> | 2; RSP is absolute.</summary>
    public MachineState? Output { get; init; }

    /// <summary>Where control went.</summary>
    public BranchOutcome Outcome { get; init; }

    /// <summary>True when control went to one of the branch landing pads.</summary>
    public bool BranchTaken => Outcome != BranchOutcome.NotTaken;

    /// <summary>Address of the next instruction executed: the fall-through address or the landing pad reached. Compare with the simulator's RIP.</summary>
    public ulong NextRip { get; init; }

    /// <summary>Output state, throwing if the instruction faulted.</summary>
    public MachineState Out => Output ?? throw new InvalidOperationException($"Instruction faulted with {Fault}");
}

/// <summary>Thrown when the oracle refuses to run an instruction because it could harm the test process or is not observable.</summary>
public sealed class HostOracleRejectedException(string message) : Exception(message);

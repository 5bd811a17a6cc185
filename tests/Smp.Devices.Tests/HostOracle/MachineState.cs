namespace Smp.Devices.Tests.HostOracle;

/// <summary>
/// Architectural state seen by one oracle run: the 16 GPRs (indexed in encoding order RAX, RCX, RDX, RBX,
/// RSP, RBP, RSI, RDI, R8..R15), RFLAGS (only CF, PF, AF, ZF, SF, DF, OF are meaningful, see
/// <see cref="FlagsMask.Controllable"/>) and the contents of the memory window mapped at
/// <see cref="HostCpu.MemoryBase"/> (<see cref="HostCpu.WindowSize"/> bytes).
/// </summary>
/// <remarks>
/// As an input, <see cref="Rsp"/> is ignored: the oracle always starts the instruction with
/// RSP = <see cref="HostCpu.InitialRsp"/> (inside the window). <see cref="CreateDefault"/> already sets that,
/// so a simulator can be seeded from the very same object.
/// </remarks>
public sealed class MachineState
{
    /// <summary>Number of general-purpose registers.</summary>
    public const int GprCount = 16;

    /// <summary>Register index constants (encoding order).</summary>
    public const int RaxIndex = 0, RcxIndex = 1, RdxIndex = 2, RbxIndex = 3, RspIndex = 4, RbpIndex = 5, RsiIndex = 6, RdiIndex = 7;

    /// <summary>The 16 GPRs in encoding order.</summary>
    public ulong[] Gpr { get; } = new ulong[GprCount];

    /// <summary>RFLAGS (architectural bit layout).</summary>
    public ulong Rflags { get; set; } = 0x2;

    /// <summary>The memory window, <see cref="HostCpu.WindowSize"/> bytes, mapped at <see cref="HostCpu.MemoryBase"/>.</summary>
    public byte[] Memory { get; } = new byte[HostCpu.WindowSize];

    /// <summary>
    /// The x87/SSE state as a 512-byte FXSAVE image, or null. As an input, non-null asks the oracle to run the
    /// instruction with this extended state (FXRSTOR before, FXSAVE after) and lets x87, MMX and SSE instructions
    /// through its checks; the output then carries the image after the instruction. Null: the host's own state is
    /// kept and x87/MMX instructions are rejected.
    /// </summary>
    public FxsaveImage? Fx { get; set; }

    /// <summary>GPR by encoding index 0..15.</summary>
    public ulong this[int index]
    {
        get => Gpr[index];
        set => Gpr[index] = value;
    }

#pragma warning disable CS1591
    public ulong Rax { get => Gpr[0]; set => Gpr[0] = value; }
    public ulong Rcx { get => Gpr[1]; set => Gpr[1] = value; }
    public ulong Rdx { get => Gpr[2]; set => Gpr[2] = value; }
    public ulong Rbx { get => Gpr[3]; set => Gpr[3] = value; }
    public ulong Rsp { get => Gpr[4]; set => Gpr[4] = value; }
    public ulong Rbp { get => Gpr[5]; set => Gpr[5] = value; }
    public ulong Rsi { get => Gpr[6]; set => Gpr[6] = value; }
    public ulong Rdi { get => Gpr[7]; set => Gpr[7] = value; }
    public ulong R8 { get => Gpr[8]; set => Gpr[8] = value; }
    public ulong R9 { get => Gpr[9]; set => Gpr[9] = value; }
    public ulong R10 { get => Gpr[10]; set => Gpr[10] = value; }
    public ulong R11 { get => Gpr[11]; set => Gpr[11] = value; }
    public ulong R12 { get => Gpr[12]; set => Gpr[12] = value; }
    public ulong R13 { get => Gpr[13]; set => Gpr[13] = value; }
    public ulong R14 { get => Gpr[14]; set => Gpr[14] = value; }
    public ulong R15 { get => Gpr[15]; set => Gpr[15] = value; }
#pragma warning restore CS1591

    /// <summary>Flag helpers (architectural positions).</summary>
    public bool CF => (Rflags & FlagsMask.CF) != 0;
    /// <summary>Parity flag.</summary>
    public bool PF => (Rflags & FlagsMask.PF) != 0;
    /// <summary>Auxiliary carry flag.</summary>
    public bool AF => (Rflags & FlagsMask.AF) != 0;
    /// <summary>Zero flag.</summary>
    public bool ZF => (Rflags & FlagsMask.ZF) != 0;
    /// <summary>Sign flag.</summary>
    public bool SF => (Rflags & FlagsMask.SF) != 0;
    /// <summary>Direction flag.</summary>
    public bool DF => (Rflags & FlagsMask.DF) != 0;
    /// <summary>Overflow flag.</summary>
    public bool OF => (Rflags & FlagsMask.OF) != 0;

    /// <summary>All registers zero except RSP = <see cref="HostCpu.InitialRsp"/>; RFLAGS = 2; memory zero.</summary>
    public static MachineState CreateDefault()
    {
        var s = new MachineState();
        s.Rsp = HostCpu.InitialRsp;
        return s;
    }

    /// <summary>Reads a little-endian qword from the window at <paramref name="offset"/>.</summary>
    public ulong ReadU64(int offset) => BitConverter.ToUInt64(Memory, offset);

    /// <summary>Writes a little-endian qword into the window at <paramref name="offset"/>.</summary>
    public void WriteU64(int offset, ulong value) => BitConverter.TryWriteBytes(Memory.AsSpan(offset, 8), value);

    /// <summary>Reads a little-endian dword from the window.</summary>
    public uint ReadU32(int offset) => BitConverter.ToUInt32(Memory, offset);

    /// <summary>Writes a little-endian dword into the window.</summary>
    public void WriteU32(int offset, uint value) => BitConverter.TryWriteBytes(Memory.AsSpan(offset, 4), value);

    /// <summary>Deep copy.</summary>
    public MachineState Clone()
    {
        var s = new MachineState { Rflags = Rflags, Fx = Fx?.Clone() };
        Gpr.CopyTo(s.Gpr, 0);
        Memory.CopyTo(s.Memory, 0);
        return s;
    }

    /// <summary>
    /// Compares this (actual) state with <paramref name="expected"/>: all 16 GPRs, the RFLAGS bits in
    /// <paramref name="flagsMask"/> (e.g. <see cref="FlagsMask.Defined(in Iced.Intel.Instruction)"/>) and the whole
    /// memory window. Returns null when equal, otherwise a readable list of the differences.
    /// </summary>
    public string? DiffFrom(MachineState expected, ulong flagsMask = FlagsMask.Controllable)
    {
        string[] names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < GprCount; i++)
            if (Gpr[i] != expected.Gpr[i])
                sb.Append($"{names[i]}: expected {expected.Gpr[i]:X16}, actual {Gpr[i]:X16}\n");
        if (((Rflags ^ expected.Rflags) & flagsMask) != 0)
            sb.Append($"rflags (mask {FlagsMask.Describe(flagsMask)}): expected {FlagsMask.Describe(expected.Rflags & flagsMask)}, actual {FlagsMask.Describe(Rflags & flagsMask)}\n");
        for (int i = 0; i < Memory.Length && i < expected.Memory.Length; i++)
            if (Memory[i] != expected.Memory[i])
                sb.Append($"window[0x{i:X3}]: expected {expected.Memory[i]:X2}, actual {Memory[i]:X2}\n");
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        string[] names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
        for (int i = 0; i < GprCount; i++)
            sb.Append(names[i]).Append('=').Append(Gpr[i].ToString("X16")).Append(i % 4 == 3 ? '\n' : ' ');
        sb.Append("rflags=").Append(Rflags.ToString("X")).Append(' ').Append(FlagsMask.Describe(Rflags));
        return sb.ToString();
    }
}

using System.Runtime.InteropServices;
using Iced.Intel;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>
/// Executes one x86-64 instruction (64-bit mode, user mode) on the host processor with chosen register, flag and
/// memory inputs and reports the outputs. The reference for differential tests of the simulator's CPU core.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> One private RWX mapping holds a small harness, the instruction slot at
/// <see cref="InstructionAddress"/>, two branch landing pads, a data page, a 256 KiB guard area and the memory
/// window of <see cref="WindowSize"/> bytes at <see cref="MemoryBase"/>. All addresses are stable for the process.</para>
/// <para><b>Registers.</b> All 16 GPRs are loaded from <see cref="MachineState"/> except RSP, which always starts at
/// <see cref="InitialRsp"/> = MemoryBase + <see cref="StackTopOffset"/>. Pushes therefore land in window bytes
/// [0, 0x40) and pops read window bytes [0x40, 0x80); output RSP is the absolute final value. Memory operands should
/// use window bytes from <see cref="DataOffset"/> (0x80) on, addressed e.g. as [rbx] with RBX = MemoryBase + 0x80.</para>
/// <para><b>Flags.</b> Only CF, PF, AF, ZF, SF, DF, OF are taken from the input (TF, AC, ... are forced to 0, IF to 1)
/// and reported (other bits masked off, bit 1 set). RFLAGS is reset to 0x202 (DF, AC clear) before returning to managed code; a POPF that would set TF is rejected.</para>
/// <para><b>Code.</b> The bytes must be exactly one instruction encoded for IP = <see cref="InstructionAddress"/>
/// (matters for RIP-relative operands and branches). Branches (Jcc, JMP, CALL, LOOP, JRCXZ, indirect JMP/CALL, RET)
/// are allowed only when their target is <see cref="BranchTargetForward"/>, <see cref="BranchTargetBackward"/> or
/// the next instruction; both pads are within rel8 range. <see cref="HostResult.Outcome"/> tells where control went.</para>
/// <para><b>Safety.</b> Before running, the instruction is decoded with Iced and rejected (<see cref="HostOracleRejectedException"/>)
/// if it could hurt the process: memory accesses outside the window (including REP string ranges and stack accesses),
/// FS/GS or VSIB addressing, privileged/interrupt/system-call/UD instructions, x87/MMX (unless the input carries an
/// extended state, below), segment-register writes,
/// XSAVE/XRSTOR/FXRSTOR, TSX, ISA extensions this host lacks, 16-byte-or-larger memory operands that are not 16-aligned,
/// and branches to unknown targets. DIV/IDIV that would raise #DE are not executed: the result has Faulted = true
/// (a SIGFPE raised by native code is not converted to an exception by the .NET runtime - it kills the process).
/// Asynchronous signals are blocked for the duration of the call so the kernel never writes a signal frame onto the
/// window stack. MXCSR and the x87 control word are saved and restored around the instruction.</para>
/// <para><b>Extended state.</b> When the input has an <see cref="MachineState.Fx"/> image, the harness saves the host's
/// x87/SSE state with FXSAVE64, loads the image with FXRSTOR64, runs the instruction, stores the result with FXSAVE64
/// into the output's image and restores the host's state with FXRSTOR64; all four are non-waiting, so a pending x87
/// exception never traps in the harness. x87, MMX and SSE instructions are then accepted, except inputs that would trap
/// on the host: an MXCSR outside <see cref="HostMxcsrMask"/>, a pending unmasked x87 exception (or FSW.ES) before a
/// waiting x87/MMX instruction, and unmasked SIMD exceptions before an instruction on XMM registers.</para>
/// <para><b>Threads.</b> One global lock serialises calls; safe to use from parallel xunit classes.</para>
/// </remarks>
public static unsafe class HostCpu
{
    /// <summary>Size of the memory window in bytes.</summary>
    public const int WindowSize = 512;

    /// <summary>Offset of <see cref="InitialRsp"/> in the window.</summary>
    public const int StackTopOffset = 0x40;

    /// <summary>First window offset recommended for memory operands (below it is the scratch stack).</summary>
    public const int DataOffset = 0x80;

    /// <summary>Maximum instruction length.</summary>
    public const int MaxInstructionLength = 15;

    private const int EntryOff = 0x000;
    private const int EntryLoadOff = 0x080;
    private const int FxEntryOff = 0x1C0;
    private const int EpilogueOff = 0x200;
    private const int EpilogueRestoreOff = 0x2C0;
    private const int FxExitOff = 0x300;
    private const int BackPadOff = 0x440;
    private const int SlotOff = 0x480;
    private const int FwdPadOff = 0x4C0;
    private const int NotTakenPadOff = 0x500;
    private const int InRegsOff = 0x1000;
    private const int InFlagsOff = 0x1080;
    private const int OutRegsOff = 0x1100;
    private const int OutFlagsOff = 0x1180;
    private const int SavedRspOff = 0x1200;
    private const int ExitCodeOff = 0x1208;
    private const int HostMxcsrOff = 0x1210;
    private const int HostFpuCwOff = 0x1218;
    private const int UseFxOff = 0x1220;
    private const int HostFxOff = 0x1400;
    private const int InFxOff = 0x1600;
    private const int OutFxOff = 0x1800;
    private const int FullSigSetOff = 0x1300;
    private const int OldSigSetOff = 0x1380;
    private const int GuardSize = 0x40000;
    private const int WindowOff = 0x2000 + GuardSize;
    private const int MappingSize = WindowOff + 0x2000;

    private static readonly object Gate = new();
    private static readonly byte* Region;
    private static readonly delegate* unmanaged<void> Entry;
    private static readonly InstructionInfoFactory InfoFactory = new();
    private static readonly SlotReader Reader = new();
    private static readonly Decoder Decoder;
    private static readonly HashSet<string> HostFlags = ReadHostCpuFlags();

    /// <summary>Host address of the memory window (page aligned).</summary>
    public static ulong MemoryBase { get; }

    /// <summary>RSP at the start of every instruction: MemoryBase + <see cref="StackTopOffset"/>.</summary>
    public static ulong InitialRsp => MemoryBase + StackTopOffset;

    /// <summary>Address the instruction is executed at (encode RIP-relative operands and branches for it).</summary>
    public static ulong InstructionAddress { get; }

    /// <summary>Landing pad 0x40 bytes after <see cref="InstructionAddress"/>; a branch to it yields <see cref="BranchOutcome.TakenForward"/>.</summary>
    public static ulong BranchTargetForward { get; }

    /// <summary>Landing pad 0x40 bytes before <see cref="InstructionAddress"/>; a branch to it yields <see cref="BranchOutcome.TakenBackward"/>.</summary>
    public static ulong BranchTargetBackward { get; }

    static HostCpu()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("The host CPU oracle needs x86-64 Linux.");
        nint p = Native.mmap(0, MappingSize, Native.ProtRead | Native.ProtWrite | Native.ProtExec,
            Native.MapPrivate | Native.MapAnonymous, -1, 0);
        if (p == -1)
            throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        Region = (byte*)p;
        // The page after the window's page is inaccessible so a stray access past the window faults loudly.
        Native.mprotect(p + WindowOff + 0x1000, 0x1000, Native.ProtNone);
        new Span<byte>(Region, WindowOff).Fill(0xCC); // int3 everywhere code is not expected
        new Span<byte>(Region + 0x1000, 0x1000).Clear();
        new Span<byte>(Region + FullSigSetOff, Native.SigSetBytes).Fill(0xFF);

        MemoryBase = Addr(WindowOff);
        InstructionAddress = Addr(SlotOff);
        BranchTargetForward = Addr(FwdPadOff);
        BranchTargetBackward = Addr(BackPadOff);
        EmitHarness();
        Entry = (delegate* unmanaged<void>)Region;
        Decoder = Decoder.Create(64, Reader, InstructionAddress);
        ReadHostMxcsrMask();
    }

    private static ulong Addr(int offset) => (ulong)(Region + offset);

    private static MemoryOperand Rip(int offset) => new(Register.RIP, (long)Addr(offset));

    private static void EmitHarness()
    {
        var entry = new List<Instruction>();
        foreach (var r in new[] { Register.RBX, Register.RBP, Register.R12, Register.R13, Register.R14, Register.R15 })
            entry.Add(Instruction.Create(Code.Push_r64, r));
        entry.Add(Instruction.Create(Code.Stmxcsr_m32, Rip(HostMxcsrOff)));
        entry.Add(Instruction.Create(Code.Fnstcw_m2byte, Rip(HostFpuCwOff)));
        entry.Add(Instruction.Create(Code.Mov_rm64_r64, Rip(SavedRspOff), Register.RSP));
        // With an extended-state input: FXSAVE the host's x87/SSE state, FXRSTOR the input image. Both are
        // non-waiting (SDM Vol. 3A §6.15, interrupt 16), so a pending x87 exception in either image never traps here.
        entry.Add(Instruction.Create(Code.Cmp_rm8_imm8, Rip(UseFxOff), 0));
        entry.Add(Instruction.CreateBranch(Code.Jne_rel32_64, Addr(FxEntryOff)));
        entry.Add(Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(EntryLoadOff)));
        Emit(entry, EntryOff, EntryLoadOff - EntryOff);
        Emit(
        [
            Instruction.Create(Code.Fxsave64_m512byte, Rip(HostFxOff)),
            Instruction.Create(Code.Fxrstor64_m512byte, Rip(InFxOff)),
            Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(EntryLoadOff)),
        ], FxEntryOff, EpilogueOff - FxEntryOff);

        entry = [];
        entry.Add(Instruction.Create(Code.Mov_r64_rm64, Register.RAX, Rip(InFlagsOff)));
        entry.Add(Instruction.Create(Code.Push_r64, Register.RAX));
        entry.Add(Instruction.Create(Code.Popfq));
        for (int i = 0; i < 16; i++)
            if (i != MachineState.RspIndex)
                entry.Add(Instruction.Create(Code.Mov_r64_rm64, Register.RAX + i, Rip(InRegsOff + 8 * i)));
        entry.Add(Instruction.Create(Code.Mov_r64_rm64, Register.RSP, Rip(InRegsOff + 8 * MachineState.RspIndex)));
        entry.Add(Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(SlotOff)));
        Emit(entry, EntryLoadOff, FxEntryOff - EntryLoadOff);

        var epilogue = new List<Instruction>();
        for (int i = 0; i < 16; i++)
            epilogue.Add(Instruction.Create(Code.Mov_rm64_r64, Rip(OutRegsOff + 8 * i), Register.RAX + i));
        epilogue.Add(Instruction.Create(Code.Mov_r64_rm64, Register.RSP, Rip(SavedRspOff)));
        epilogue.Add(Instruction.Create(Code.Pushfq));
        epilogue.Add(Instruction.Create(Code.Pop_r64, Register.RAX));
        epilogue.Add(Instruction.Create(Code.Mov_rm64_r64, Rip(OutFlagsOff), Register.RAX));
        epilogue.Add(Instruction.Create(Code.Cmp_rm8_imm8, Rip(UseFxOff), 0));
        epilogue.Add(Instruction.CreateBranch(Code.Jne_rel32_64, Addr(FxExitOff)));
        epilogue.Add(Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(EpilogueRestoreOff)));
        Emit(epilogue, EpilogueOff, EpilogueRestoreOff - EpilogueOff);
        // The output image, then the host's own state back (both non-waiting, like the entry).
        Emit(
        [
            Instruction.Create(Code.Fxsave64_m512byte, Rip(OutFxOff)),
            Instruction.Create(Code.Fxrstor64_m512byte, Rip(HostFxOff)),
            Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(EpilogueRestoreOff)),
        ], FxExitOff, BackPadOff - FxExitOff);

        epilogue = [];
        // Back to a sane RFLAGS for managed code (clears DF, AC, NT, ... that POPF could have set).
        epilogue.Add(Instruction.Create(Code.Pushq_imm32, 0x202));
        epilogue.Add(Instruction.Create(Code.Popfq));
        epilogue.Add(Instruction.Create(Code.Ldmxcsr_m32, Rip(HostMxcsrOff)));
        epilogue.Add(Instruction.Create(Code.Fldcw_m2byte, Rip(HostFpuCwOff)));
        foreach (var r in new[] { Register.R15, Register.R14, Register.R13, Register.R12, Register.RBP, Register.RBX })
            epilogue.Add(Instruction.Create(Code.Pop_r64, r));
        epilogue.Add(Instruction.Create(Code.Retnq));
        Emit(epilogue, EpilogueRestoreOff, FxExitOff - EpilogueRestoreOff);

        EmitPad(NotTakenPadOff, BranchOutcome.NotTaken);
        EmitPad(FwdPadOff, BranchOutcome.TakenForward);
        EmitPad(BackPadOff, BranchOutcome.TakenBackward);
    }

    private static void EmitPad(int offset, BranchOutcome outcome) =>
        Emit(
        [
            // MOV and JMP leave every flag and register untouched.
            Instruction.Create(Code.Mov_rm64_imm32, Rip(ExitCodeOff), (int)outcome),
            Instruction.CreateBranch(Code.Jmp_rel32_64, Addr(EpilogueOff)),
        ], offset, 0x40);

    private static void Emit(List<Instruction> instructions, int offset, int room)
    {
        var writer = new RegionWriter(Region + offset);
        var encoder = Encoder.Create(64, writer);
        ulong ip = Addr(offset);
        foreach (var instr in instructions)
        {
            if (!encoder.TryEncode(instr, ip, out uint len, out string? error))
                throw new InvalidOperationException($"Harness encoding failed for {instr}: {error}");
            ip += len;
        }
        if (ip - Addr(offset) > (ulong)room)
            throw new InvalidOperationException($"Harness part at 0x{offset:X} needs {ip - Addr(offset)} bytes, has {room}");
    }

    /// <summary>
    /// Runs <paramref name="code"/> (exactly one instruction) on the host with <paramref name="input"/>.
    /// Throws <see cref="HostOracleRejectedException"/> if the instruction is not safe/observable (see class remarks).
    /// </summary>
    public static HostResult Execute(ReadOnlySpan<byte> code, MachineState input)
    {
        var result = Run(code, input, out string? rejection);
        return result ?? throw new HostOracleRejectedException(rejection!);
    }

    /// <summary>Like <see cref="Execute"/>, but returns false with a reason instead of throwing when the instruction is rejected.</summary>
    public static bool TryExecute(ReadOnlySpan<byte> code, MachineState input, out HostResult? result, out string? rejection)
    {
        result = Run(code, input, out rejection);
        return result != null;
    }

    /// <summary>
    /// Checks whether <paramref name="code"/> may be executed with <paramref name="input"/> without running it.
    /// Returns null when acceptable, otherwise the reason. (A DIV/IDIV that would fault is acceptable: it is reported, not run.)
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> code, MachineState input)
    {
        lock (Gate)
        {
            var effective = Effective(input);
            return Validate(code, effective, out _);
        }
    }

    /// <summary>True if <paramref name="instruction"/> is a DIV/IDIV that raises #DE (zero divisor or quotient overflow) with <paramref name="input"/>.</summary>
    public static bool WouldDivideFault(in Instruction instruction, MachineState input)
    {
        lock (Gate)
        {
            var effective = Effective(input);
            current = effective;
            try { return DivideFaults(instruction, effective); }
            finally { current = null; }
        }
    }

    private static MachineState Effective(MachineState input)
    {
        var s = input.Clone();
        s.Rsp = InitialRsp;
        s.Rflags = (input.Rflags & FlagsMask.Controllable) | 2;
        return s;
    }

    private static HostResult? Run(ReadOnlySpan<byte> code, MachineState input, out string? rejection)
    {
        if (input.Memory.Length != WindowSize)
            throw new ArgumentException($"Memory must be {WindowSize} bytes", nameof(input));
        lock (Gate)
        {
            var effective = Effective(input);
            rejection = Validate(code, effective, out var instr);
            if (rejection != null)
                return null;
            current = effective;
            try
            {
                if (DivideFaults(instr, effective))
                    return new HostResult { Instruction = instr, Input = effective, Faulted = true, Fault = "#DE", NextRip = InstructionAddress };
            }
            finally { current = null; }

            ulong* inRegs = (ulong*)(Region + InRegsOff);
            for (int i = 0; i < 16; i++)
                inRegs[i] = effective.Gpr[i];
            *(ulong*)(Region + InFlagsOff) = effective.Rflags;
            *(ulong*)(Region + ExitCodeOff) = 0xDEAD;
            effective.Memory.CopyTo(new Span<byte>(Region + WindowOff, WindowSize));
            Region[UseFxOff] = effective.Fx != null ? (byte)1 : (byte)0;
            effective.Fx?.Bytes.CopyTo(new Span<byte>(Region + InFxOff, FxsaveImage.Size));

            byte* slot = Region + SlotOff;
            code.CopyTo(new Span<byte>(slot, code.Length));
            slot[code.Length] = 0xE9; // jmp rel32 to the not-taken pad
            *(int*)(slot + code.Length + 1) = NotTakenPadOff - (SlotOff + code.Length + 5);

            int rc = Native.pthread_sigmask(Native.SigBlock, Region + FullSigSetOff, Region + OldSigSetOff);
            if (rc != 0)
                throw new InvalidOperationException($"pthread_sigmask failed: {rc}");
            Entry();
            Native.pthread_sigmask(Native.SigSetMask, Region + OldSigSetOff, null);

            // Restore the slot to int3 so a stale instruction can never run.
            new Span<byte>(slot, code.Length + 5).Fill(0xCC);

            var output = new MachineState();
            ulong* outRegs = (ulong*)(Region + OutRegsOff);
            for (int i = 0; i < 16; i++)
                output.Gpr[i] = outRegs[i];
            output.Rflags = (*(ulong*)(Region + OutFlagsOff) & FlagsMask.Controllable) | 2;
            new ReadOnlySpan<byte>(Region + WindowOff, WindowSize).CopyTo(output.Memory);
            if (effective.Fx != null)
            {
                output.Fx = new FxsaveImage();
                new ReadOnlySpan<byte>(Region + OutFxOff, FxsaveImage.Size).CopyTo(output.Fx.Bytes);
            }
            var outcome = (BranchOutcome)(*(ulong*)(Region + ExitCodeOff));
            ulong next = outcome switch
            {
                BranchOutcome.NotTaken => instr.NextIP,
                BranchOutcome.TakenForward => BranchTargetForward,
                BranchOutcome.TakenBackward => BranchTargetBackward,
                _ => throw new InvalidOperationException("Harness exit code corrupted"),
            };
            return new HostResult { Instruction = instr, Input = effective, Output = output, Outcome = outcome, NextRip = next };
        }
    }

    // ---- validation -------------------------------------------------------------------------------------------

    [ThreadStatic] private static MachineState? current;

    private static readonly HashSet<Mnemonic> Forbidden =
    [
        Mnemonic.Syscall, Mnemonic.Sysenter, Mnemonic.Sysexit, Mnemonic.Sysret, Mnemonic.Int, Mnemonic.Int1, Mnemonic.Int3,
        Mnemonic.Into, Mnemonic.Ud0, Mnemonic.Ud1, Mnemonic.Ud2, Mnemonic.Hlt, Mnemonic.Wrfsbase, Mnemonic.Wrgsbase,
        Mnemonic.Xsave, Mnemonic.Xsave64, Mnemonic.Xsavec, Mnemonic.Xsavec64, Mnemonic.Xsaveopt, Mnemonic.Xsaveopt64,
        Mnemonic.Xsaves, Mnemonic.Xsaves64, Mnemonic.Xrstor, Mnemonic.Xrstor64, Mnemonic.Xrstors, Mnemonic.Xrstors64,
        Mnemonic.Fxrstor, Mnemonic.Fxrstor64, Mnemonic.Fxsave, Mnemonic.Fxsave64, Mnemonic.Lfs, Mnemonic.Lgs, Mnemonic.Lss,
        Mnemonic.Xbegin, Mnemonic.Xabort, Mnemonic.Xend, Mnemonic.Xtest, Mnemonic.Enclu, Mnemonic.Ptwrite,
        Mnemonic.Umonitor, Mnemonic.Umwait, Mnemonic.Tpause, Mnemonic.Clui, Mnemonic.Stui, Mnemonic.Senduipi,
        Mnemonic.Bound, Mnemonic.Femms, Mnemonic.Retf, Mnemonic.Iret, Mnemonic.Iretd, Mnemonic.Iretq,
        Mnemonic.Enter, Mnemonic.Ldtilecfg, Mnemonic.Tilerelease,
    ];

    private static string? Validate(ReadOnlySpan<byte> code, MachineState input, out Instruction instr)
    {
        instr = default;
        if (code.Length is 0 or > MaxInstructionLength)
            return $"code length {code.Length} is not 1..15";
        Reader.Set(code);
        Decoder.IP = InstructionAddress;
        Decoder.Decode(out instr);
        if (instr.IsInvalid)
            return $"cannot decode {Convert.ToHexString(code)} ({Decoder.LastError})";
        if (instr.Length != code.Length)
            return $"code must be exactly one instruction: {instr} uses {instr.Length} of {code.Length} bytes";
        if (instr.IsPrivileged)
            return $"{instr}: privileged";
        if (Forbidden.Contains(instr.Mnemonic))
            return $"{instr}: forbidden in the oracle";
        var fx = input.Fx;
        bool x87OrMmx = false;
        foreach (var feature in instr.CpuidFeatures)
            if (feature is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU387 or CpuidFeature.MMX
                or CpuidFeature.D3NOW or CpuidFeature.D3NOWEXT)
            {
                if (fx == null)
                    return $"{instr}: x87/MMX state is not handled without an extended-state input (MachineState.Fx)";
                x87OrMmx = true;
                if (feature is CpuidFeature.D3NOW or CpuidFeature.D3NOWEXT && !HostSupports(feature))
                    return $"{instr}: needs {feature}, not known to be supported by this host";
            }
            else if (!HostSupports(feature))
                return $"{instr}: needs {feature}, not known to be supported by this host";
        x87OrMmx |= instr.Mnemonic == Mnemonic.Wait; // WAIT/FWAIT checks for pending x87 exceptions too
        if (fx != null && ValidateExtendedState(instr, fx, x87OrMmx) is { } extendedReason)
            return extendedReason;
        for (int i = 0; i < instr.OpCount; i++)
        {
            if (instr.GetOpKind(i) != OpKind.Register) continue;
            var r = instr.GetOpRegister(i);
            if ((r.IsST() || r.IsMM()) && fx == null)
                return $"{instr}: x87/MMX state is not handled without an extended-state input (MachineState.Fx)";
            if (i == 0 && r.IsSegmentRegister() && instr.Mnemonic is Mnemonic.Mov or Mnemonic.Pop)
                return $"{instr}: writes a segment register";
        }

        if (instr.Mnemonic is Mnemonic.Popf or Mnemonic.Popfq && (input.ReadU64(StackTopOffset) & 0x100) != 0)
            return $"{instr}: would set TF (single-step trap)";

        current = input;
        try
        {
            var info = InfoFactory.GetInfo(instr);
            foreach (var mem in info.GetUsedMemory())
            {
                if (mem.Access == OpAccess.NoMemAccess)
                    continue;
                if (!mem.TryGetVirtualAddress(0, out ulong address, TryGetRegister))
                    return $"{instr}: unsupported addressing ({mem})";
                ulong size = (ulong)mem.MemorySize.GetSize();
                if (size == 0 && instr.IsStringInstruction)
                    size = (ulong)instr.MemorySize.GetSize(); // Iced reports REP string accesses with an unknown size
                if (size == 0)
                    return $"{instr}: memory access of unknown size";
                ulong start = address, length = size;
                if (instr.IsStringInstruction && (instr.HasRepPrefix || instr.HasRepnePrefix))
                {
                    ulong count = mem.AddressSize == CodeSize.Code32 ? (uint)input.Rcx : input.Rcx;
                    if (count == 0)
                        continue;
                    if (count > WindowSize)
                        return $"{instr}: REP count {count} exceeds the window";
                    length = size * count;
                    if (input.DF)
                        start = address - (count - 1) * size;
                }
                if (start < MemoryBase || start + length > MemoryBase + WindowSize || start + length < start)
                    return $"{instr}: memory access [{start:X}, +{length}) is outside the window [{MemoryBase:X}, +{WindowSize})";
                if (size >= 16 && (address & 15) != 0 && !x87OrMmx)
                    return $"{instr}: {size}-byte memory operand at {address:X} is not 16-byte aligned";
            }
            return ValidateFlow(instr, input);
        }
        finally { current = null; }
    }

    // x87 instructions that do not check for a pending unmasked exception (SDM Vol. 1 §8.6, Vol. 3A §6.15 interrupt 16).
    private static readonly HashSet<Mnemonic> NonWaiting =
    [
        Mnemonic.Fninit, Mnemonic.Fnclex, Mnemonic.Fnstsw, Mnemonic.Fnstcw, Mnemonic.Fnstenv, Mnemonic.Fnsave,
        Mnemonic.Fneni, Mnemonic.Fndisi, Mnemonic.Fnsetpm, Mnemonic.Fnstdw, Mnemonic.Fnstsg,
    ];

    // An input image must not make the host trap: FXRSTOR raises #GP for MXCSR bits outside MXCSR_MASK; a waiting
    // x87 or MMX instruction raises #MF when an unmasked x87 exception is pending (Linux runs with CR0.NE = 1);
    // an SSE instruction with an unmasked SIMD exception raises #XM at once (CR4.OSXMMEXCPT = 1). Either trap is
    // SIGFPE in native code, which kills the process.
    private static string? ValidateExtendedState(in Instruction instr, FxsaveImage fx, bool x87OrMmx)
    {
        if ((fx.Mxcsr & ~HostMxcsrMask) != 0)
            return $"MXCSR {fx.Mxcsr:X8} sets bits outside this host's MXCSR_MASK {HostMxcsrMask:X8} (FXRSTOR would raise #GP)";
        if (x87OrMmx && !NonWaiting.Contains(instr.Mnemonic) && fx.X87ExceptionPending)
            return $"{instr}: FSW {fx.Fsw:X4} with FCW {fx.Fcw:X4} has an unmasked x87 exception pending (would raise #MF)";
        if (!x87OrMmx && (fx.Mxcsr & 0x1F80) != 0x1F80 && instr.Mnemonic is not (Mnemonic.Ldmxcsr or Mnemonic.Stmxcsr)
            && UsesXmm(instr))
            return $"{instr}: MXCSR {fx.Mxcsr:X8} unmasks SIMD floating-point exceptions (could raise #XM)";
        return null;
    }

    private static bool UsesXmm(in Instruction instr)
    {
        for (int i = 0; i < instr.OpCount; i++)
            if (instr.GetOpKind(i) == OpKind.Register && (instr.GetOpRegister(i).IsXMM() || instr.GetOpRegister(i).IsYMM() || instr.GetOpRegister(i).IsZMM()))
                return true;
        return instr.MemorySize.IsPacked() || instr.MemorySize.GetSize() >= 16;
    }

    /// <summary>This host's MXCSR_MASK (the MXCSR bits FXRSTOR accepts), read once with FXSAVE.</summary>
    public static uint HostMxcsrMask { get; private set; } = 0xFFFF;

    private static void ReadHostMxcsrMask()
    {
        var probe = MachineState.CreateDefault();
        probe.Fx = FxsaveImage.CreateDefault();
        var result = Run([0x90], probe, out string? why) ?? throw new InvalidOperationException($"MXCSR_MASK probe rejected: {why}");
        uint mask = result.Out.Fx!.MxcsrMask;
        HostMxcsrMask = mask == 0 ? 0xFFBF : mask; // SDM Vol. 1 §11.6.6: a zero mask means the default FFBFh
    }

    private static string? ValidateFlow(in Instruction instr, MachineState input)
    {
        ulong target;
        switch (instr.FlowControl)
        {
            case FlowControl.Next:
                return null;
            case FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch or FlowControl.Call:
                if (instr.IsJmpFar || instr.IsCallFar)
                    return $"{instr}: far branch";
                target = instr.NearBranchTarget;
                break;
            case FlowControl.IndirectBranch or FlowControl.IndirectCall:
                if (instr.IsJmpFarIndirect || instr.IsCallFarIndirect)
                    return $"{instr}: far branch";
                if (instr.Op0Kind == OpKind.Register)
                    target = ReadRegister(instr.Op0Register, input);
                else if (instr.Op0Kind == OpKind.Memory && instr.TryGetVirtualAddress(0, 0, out ulong a, TryGetRegister)
                    && a >= MemoryBase && a + 8 <= MemoryBase + WindowSize)
                    target = ReadMemory(input, a, instr.MemorySize.GetSize());
                else
                    return $"{instr}: cannot resolve the indirect target";
                break;
            case FlowControl.Return:
                if (instr.Mnemonic != Mnemonic.Ret || instr.Code != Code.Retnq && instr.Code != Code.Retnq_imm16)
                    return $"{instr}: only near 64-bit RET is supported";
                target = input.ReadU64(StackTopOffset);
                break;
            default:
                return $"{instr}: flow control {instr.FlowControl} is not supported";
        }
        if (target != BranchTargetForward && target != BranchTargetBackward && target != instr.NextIP)
            return $"{instr}: branch target {target:X} is not BranchTargetForward/Backward or the next instruction";
        return null;
    }

    private static bool TryGetRegister(Register register, int elementIndex, int elementSize, out ulong value)
    {
        value = 0;
        var s = current!;
        switch (register)
        {
            case Register.ES or Register.CS or Register.SS or Register.DS:
                return true;
            case Register.RIP or Register.EIP:
                return true; // Iced's RIP-relative displacement is already absolute
            case Register.FS or Register.GS:
                return false;
        }
        if (register.IsGPR())
        {
            value = ReadRegister(register, s);
            return true;
        }
        return false; // VSIB etc.
    }

    /// <summary>Value of any GPR view (64/32/16/8-bit incl. AH..BH) in <paramref name="state"/>.</summary>
    public static ulong ReadRegister(Register register, MachineState state)
    {
        if (register is >= Register.AH and <= Register.BH)
            return (state.Gpr[register - Register.AH] >> 8) & 0xFF;
        ulong full = state.Gpr[register.GetFullRegister() - Register.RAX];
        return register.GetSize() switch
        {
            1 => full & 0xFF,
            2 => full & 0xFFFF,
            4 => full & 0xFFFF_FFFF,
            _ => full,
        };
    }

    private static ulong ReadMemory(MachineState s, ulong address, int size)
    {
        int off = (int)(address - MemoryBase);
        ulong v = 0;
        for (int i = size - 1; i >= 0; i--)
            v = (v << 8) | s.Memory[off + i];
        return v;
    }

    private static bool DivideFaults(in Instruction instr, MachineState s)
    {
        if (instr.Mnemonic is not (Mnemonic.Div or Mnemonic.Idiv))
            return false;
        int bits;
        ulong divisor;
        if (instr.Op0Kind == OpKind.Register)
        {
            bits = instr.Op0Register.GetSize() * 8;
            divisor = ReadRegister(instr.Op0Register, s);
        }
        else
        {
            bits = instr.MemorySize.GetSize() * 8;
            if (!instr.TryGetVirtualAddress(0, 0, out ulong a, TryGetRegister))
                throw new InvalidOperationException("unresolvable divisor address");
            divisor = ReadMemory(s, a, bits / 8);
        }
        if (divisor == 0)
            return true;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        UInt128 dividend = bits == 8
            ? (UInt128)(s.Rax & 0xFFFF)
            : ((UInt128)(s.Rdx & mask) << bits) | (s.Rax & mask);
        if (instr.Mnemonic == Mnemonic.Div)
            return dividend / divisor > mask;
        // Signed: sign-extend the 2n-bit dividend and the n-bit divisor.
        int shift = 128 - 2 * bits;
        Int128 sd = (Int128)(dividend << shift) >> shift;
        Int128 sv = (Int128)((UInt128)divisor << (128 - bits)) >> (128 - bits);
        Int128 max = (Int128.One << (bits - 1)) - 1, min = -(Int128.One << (bits - 1));
        if (sv == -1)
            return sd < -max || sd > -min;
        Int128 q = sd / sv;
        return q > max || q < min;
    }

    // ---- host ISA support -------------------------------------------------------------------------------------

    private static readonly Dictionary<CpuidFeature, string?> FeatureFlag = new()
    {
        [CpuidFeature.INTEL8086] = null, [CpuidFeature.INTEL186] = null, [CpuidFeature.INTEL286] = null,
        [CpuidFeature.INTEL386] = null, [CpuidFeature.INTEL486] = null, [CpuidFeature.X64] = null,
        [CpuidFeature.CPUID] = null, [CpuidFeature.MULTIBYTENOP] = "nopl", [CpuidFeature.PAUSE] = null,
        [CpuidFeature.TSC] = "tsc", [CpuidFeature.CMOV] = "cmov", [CpuidFeature.CX8] = "cx8",
        [CpuidFeature.CMPXCHG16B] = "cx16", [CpuidFeature.SSE3] = "pni", [CpuidFeature.LZCNT] = "abm",
        [CpuidFeature.SHA] = "sha_ni", [CpuidFeature.PREFETCHW] = "3dnowprefetch", [CpuidFeature.RDTSCP] = "rdtscp",
        [CpuidFeature.CLFSH] = "clflush", [CpuidFeature.FXSR] = "fxsr",
        [CpuidFeature.AVX512_VBMI] = "avx512vbmi", [CpuidFeature.AVX512_IFMA] = "avx512ifma",
    };

    private static bool HostSupports(CpuidFeature feature)
    {
        if (FeatureFlag.TryGetValue(feature, out string? flag))
            return flag == null || HostFlags.Contains(flag);
        return HostFlags.Contains(feature.ToString().ToLowerInvariant());
    }

    private static HashSet<string> ReadHostCpuFlags()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
                int colon = line.IndexOf(':');
                foreach (var f in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    set.Add(f);
                break;
            }
        }
        catch (IOException) { }
        return set;
    }

    /// <summary>CPU feature flags of this host as listed in /proc/cpuinfo.</summary>
    public static IReadOnlySet<string> HostCpuFlags => HostFlags;

    private sealed class RegionWriter(byte* start) : CodeWriter
    {
        private byte* p = start;
        public override void WriteByte(byte value) => *p++ = value;
    }

    private sealed class SlotReader : CodeReader
    {
        private readonly byte[] buffer = new byte[MaxInstructionLength];
        private int length, position;

        public void Set(ReadOnlySpan<byte> code)
        {
            code.CopyTo(buffer);
            length = code.Length;
            position = 0;
        }

        public override int ReadByte() => position < length ? buffer[position++] : -1;
    }
}

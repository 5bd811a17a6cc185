using System.Text;
using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Runs one x87 instruction form with random x87 states and operands on the host (through the FXSAVE image of
/// <see cref="HostCpu"/>) and on the simulator in 64-bit mode, and compares what the SDM defines: FCW, FSW (minus the
/// condition codes the instruction leaves undefined), the tag word, every valid register bit for bit (or within
/// <see cref="UlpTolerance"/> for the transcendental instructions), GPRs, the defined flags and the memory window. FPU
/// instruction/data pointers and the opcode are not compared: vendors record them differently (AMD saves them only
/// with an exception pending), so hand tests cover them.
/// </summary>
internal sealed class X87DifferentialHarness : IDisposable
{
    private const int BaseOffset = 0x100;
    private readonly TestMachine machine = TestMachine.LongMode(4 << 20);
    private readonly X87OperandGenerator gen;
    private readonly OperandGenerator gprs;
    private readonly Code code;
    private readonly OpCodeInfo info;

    public int Executed { get; private set; }
    public int Rejected { get; private set; }
    public List<string> Failures { get; } = [];

    /// <summary>Largest register difference accepted, in units in the last place (0 = bit for bit).</summary>
    public int UlpTolerance { get; init; }

    /// <summary>Shapes the random state before the run (e.g. keeps transcendental arguments in range).</summary>
    public Action<FxsaveImage, X87OperandGenerator>? Shape { get; init; }

    public X87DifferentialHarness(Code code, int seed)
    {
        this.code = code;
        info = code.ToOpCode();
        gen = new X87OperandGenerator(seed);
        gprs = new OperandGenerator(seed ^ 0x3C3C3C);
    }

    public void Dispose() => machine.Dispose();

    public void Run(int iterations)
    {
        for (int i = 0; i < iterations && Failures.Count < 5; i++)
            RunOne();
    }

    private void RunOne()
    {
        int disp = gen.Next(0xA0) - 0x80;
        var instr = Build(disp);
        byte[] hostCode = Asm.Encode(instr);
        var input = gprs.NextState();
        input.Rflags = gprs.NextFlags(includeDf: false);
        input.Rbx = HostCpu.MemoryBase + BaseOffset;
        input.Fx = gen.NextImage();
        Shape?.Invoke(input.Fx, gen);
        if (instr.Op0Kind == OpKind.Memory || instr.Op1Kind == OpKind.Memory)
            FillOperand(input, instr, BaseOffset + disp);

        if (!HostCpu.TryExecute(hostCode, input, out var host, out string? why))
        {
            Rejected++;
            if (Rejected > 20 && Rejected > 4 * Executed) throw new InvalidOperationException($"oracle rejects {instr}: {why}");
            return;
        }
        Executed++;

        var sim = DifferentialSimulator.RunOne(machine, input, instr, Reg.RBX, BaseOffset, c =>
        {
            c.Cr0 |= CpuCore.Cr0Ne | CpuCore.Cr0Mp; // as Linux runs user code: #MF, not FERR#
            ExtendedStateImage.LoadInto(input.Fx!, c);
            c.LastFault = null;
        });
        var c = machine.Cpu;
        var simFx = ExtendedStateImage.Capture(c);

        var expected = host!.Out.Clone();
        MaskUndefinedMemory(expected, sim, instr, BaseOffset + disp);
        string? diff = c.State == RunState.Running && c.LastFault == null ? null : $"simulator: {c.State} {c.ShutdownReason} fault {c.LastFault}\n";
        diff += sim.DiffFrom(expected, FlagsMask.Defined(instr));
        diff += CompareFx(simFx, expected.Fx!, instr);
        ulong nextRip = TestMachine.CodeBase + (ulong)hostCode.Length;
        if (c.Rip != nextRip) diff += $"rip: expected {nextRip:X}, actual {c.Rip:X}\n";
        if (!string.IsNullOrEmpty(diff))
        {
            var sb = new StringBuilder();
            sb.Append(instr).Append(" (").Append(Convert.ToHexString(hostCode)).Append(")\n");
            sb.Append("input: ").Append(input.Fx).Append('\n');
            if (instr.Op0Kind == OpKind.Memory || instr.Op1Kind == OpKind.Memory)
                sb.Append("memory operand: ").Append(Convert.ToHexString(input.Memory, BaseOffset + disp, Math.Min(16, instr.MemorySize.GetSize()))).Append('\n');
            sb.Append("host:  ").Append(expected.Fx).Append('\n');
            sb.Append(diff);
            Failures.Add(sb.ToString());
        }
    }

    private string? CompareFx(FxsaveImage sim, FxsaveImage host, in Instruction instr)
    {
        ushort fswMask = (ushort)~UndefinedConditionCodes(instr, host);
        if (instr.Mnemonic is Mnemonic.Fprem or Mnemonic.Fprem1 && (host.Fsw & 0x400) != 0)
        {
            // An incomplete reduction reduces by an implementation-dependent 2^(D − N), N in 32–63 (SDM Vol. 2A FPREM).
            sim = sim.Clone();
            var e = host.GetSt(0);
            sim.SetSt(0, e.Significand, e.SignExponent);
        }
        if (UlpTolerance == 0) return sim.DiffFrom(host, fswMask);
        // Within tolerance: replace each register of the simulator that is close enough by the host's, then compare.
        var adjusted = sim.Clone();
        for (int i = 0; i < 8; i++)
        {
            var a = sim.GetSt(i);
            var e = host.GetSt(i);
            if (a != e && CloseEnough(a, e)) adjusted.SetSt(i, e.Significand, e.SignExponent);
        }
        // C1 reports rounding up against the exact result, which neither the processor nor the model has: with a
        // tolerance it is not compared for inexact results.
        if ((host.Fsw & 0x20) != 0) fswMask &= 0xFFFF & ~0x0200;
        return adjusted.DiffFrom(host, fswMask);
    }

    private bool CloseEnough((ulong Significand, ushort SignExponent) a, (ulong Significand, ushort SignExponent) e)
    {
        if (a.SignExponent == e.SignExponent)
            return (a.Significand > e.Significand ? a.Significand - e.Significand : e.Significand - a.Significand) <= (ulong)UlpTolerance;
        // Across a power of two: compare as integers of the combined encoding.
        if ((a.SignExponent ^ e.SignExponent) >= 0x8000) return false;
        Int128 ia = ((Int128)(a.SignExponent & 0x7FFF) << 63) | (long)(a.Significand & 0x7FFF_FFFF_FFFF_FFFF);
        Int128 ie = ((Int128)(e.SignExponent & 0x7FFF) << 63) | (long)(e.Significand & 0x7FFF_FFFF_FFFF_FFFF);
        return Int128.Abs(ia - ie) <= UlpTolerance;
    }

    // C0–C3 the SDM leaves undefined after this instruction (Vol. 2A, "FPU Flags Affected").
    private static ushort UndefinedConditionCodes(in Instruction instr, FxsaveImage host)
    {
        const ushort c0 = 0x100, c1 = 0x200, c2 = 0x400, c3 = 0x4000;
        switch (instr.Mnemonic)
        {
            case Mnemonic.Fcomi or Mnemonic.Fcomip or Mnemonic.Fucomi or Mnemonic.Fucomip:
                // The SDM clears C1; AMD processors leave it unchanged.
                return c1;
            case Mnemonic.Fcom or Mnemonic.Fcomp or Mnemonic.Fcompp or Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp
                or Mnemonic.Ficom or Mnemonic.Ficomp or Mnemonic.Ftst or Mnemonic.Fxam
                or Mnemonic.Fninit or Mnemonic.Fnclex or Mnemonic.Fldcw or Mnemonic.Fnstcw or Mnemonic.Fnstsw
                or Mnemonic.Fldenv or Mnemonic.Fnstenv or Mnemonic.Fnsave or Mnemonic.Frstor or Mnemonic.Wait:
                return 0;
            case Mnemonic.Fprem or Mnemonic.Fprem1:
                // An incomplete reduction (C2 = 1) leaves the quotient bits undefined.
                return (host.Fsw & c2) != 0 ? (ushort)(c0 | c1 | c3) : (ushort)0;
            case Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan:
                return c0 | c3;
            case Mnemonic.Ffree or Mnemonic.Ffreep or Mnemonic.Fnop:
                return c0 | c1 | c2 | c3;
            default:
                return c0 | c2 | c3;
        }
    }

    // The FPU instruction and data pointers and the opcode inside a stored environment are implementation-specific.
    private static void MaskUndefinedMemory(MachineState expected, MachineState sim, in Instruction instr, int offset)
    {
        if (instr.Mnemonic is not (Mnemonic.Fnstenv or Mnemonic.Fnsave)) return;
        bool is32 = instr.MemorySize is MemorySize.FpuEnv28 or MemorySize.FpuState108;
        int from = is32 ? 12 : 6, to = is32 ? 28 : 14;
        for (int i = from; i < to; i++) expected.Memory[offset + i] = sim.Memory[offset + i];
        if (is32)
            foreach (int i in new[] { 2, 3, 6, 7, 10, 11 }) expected.Memory[offset + i] = sim.Memory[offset + i]; // reserved halves
    }

    // ---- instruction construction and operands ------------------------------------------------------------

    private Instruction Build(int disp)
    {
        var mem = new MemoryOperand(Register.RBX, disp);
        int sti = gen.Next(8);
        var ops = new List<object>();
        for (int i = 0; i < info.OpCount; i++)
        {
            switch (info.GetOpKind(i))
            {
                case OpCodeOperandKind.st0: ops.Add(Register.ST0); break;
                case OpCodeOperandKind.sti_opcode: ops.Add(Register.ST0 + sti); break;
                case OpCodeOperandKind.mem: ops.Add(mem); break;
                case OpCodeOperandKind.r16_reg or OpCodeOperandKind.ax: ops.Add(Register.AX); break;
                default: throw new NotSupportedException($"{code}: operand kind {info.GetOpKind(i)}");
            }
        }
        return ops switch
        {
            [] => Instruction.Create(code),
            [Register a] => Instruction.Create(code, a),
            [MemoryOperand a] => Instruction.Create(code, a),
            [Register a, Register b] => Instruction.Create(code, a, b),
            _ => throw new NotSupportedException($"{code}: operand shape"),
        };
    }

    private void FillOperand(MachineState s, in Instruction instr, int offset)
    {
        var span = s.Memory.AsSpan(offset);
        switch (instr.MemorySize)
        {
            case MemorySize.Float32:
                BitConverter.TryWriteBytes(span, gen.NextFloat32());
                break;
            case MemorySize.Float64:
                BitConverter.TryWriteBytes(span, gen.NextFloat64());
                break;
            case MemorySize.Float80:
            {
                var (m, se) = gen.NextFloat80();
                BitConverter.TryWriteBytes(span, m);
                BitConverter.TryWriteBytes(span[8..], se);
                break;
            }
            case MemorySize.Int16:
                BitConverter.TryWriteBytes(span, (ushort)gen.NextInteger(2));
                break;
            case MemorySize.Int32:
                BitConverter.TryWriteBytes(span, (uint)gen.NextInteger(4));
                break;
            case MemorySize.Int64:
                BitConverter.TryWriteBytes(span, gen.NextInteger(8));
                break;
            case MemorySize.Bcd:
            {
                var (low, high) = gen.NextBcd();
                BitConverter.TryWriteBytes(span, low);
                BitConverter.TryWriteBytes(span[8..], high);
                break;
            }
            case MemorySize.UInt16 or MemorySize.Int16 when instr.Mnemonic == Mnemonic.Fldcw:
                BitConverter.TryWriteBytes(span, (ushort)(gen.Next(0x10000)));
                break;
            case MemorySize.FpuEnv14 or MemorySize.FpuEnv28 or MemorySize.FpuState94 or MemorySize.FpuState108:
                FillEnvironment(span, instr.MemorySize);
                break;
        }
    }

    // A plausible environment (and registers) for FLDENV/FRSTOR: a generated FCW/FSW/tag state in the stored layout.
    private void FillEnvironment(Span<byte> span, MemorySize size)
    {
        var fx = gen.NextImage();
        bool is32 = size is MemorySize.FpuEnv28 or MemorySize.FpuState108;
        int step = is32 ? 4 : 2;
        ushort ftw = 0;
        for (int phys = 0; phys < 8; phys++)
        {
            int i = (phys - fx.Top) & 7;
            var (m, se) = fx.GetSt(i);
            int tag = (fx.Ftw & (1 << phys)) == 0 ? 3 : new Smp.Devices.Cpu.Fpu.Float80(m, se).Tag;
            if (gen.Next(8) == 0) tag = gen.Next(4);
            ftw |= (ushort)(tag << (2 * phys));
        }
        BitConverter.TryWriteBytes(span, fx.Fcw);
        BitConverter.TryWriteBytes(span[step..], fx.Fsw);
        BitConverter.TryWriteBytes(span[(2 * step)..], ftw);
        if (size is MemorySize.FpuState94 or MemorySize.FpuState108)
        {
            int env = is32 ? 28 : 14;
            for (int i = 0; i < 8; i++)
            {
                var (m, se) = fx.GetSt(i);
                BitConverter.TryWriteBytes(span[(env + 10 * i)..], m);
                BitConverter.TryWriteBytes(span[(env + 10 * i + 8)..], se);
            }
        }
    }
}

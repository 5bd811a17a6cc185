using System.Text;
using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Runs one MMX/SSE instruction form with random inputs on the host (<see cref="HostCpu"/> with an FXSAVE image) and
/// on the simulator in 64-bit mode, and compares the GPRs, the defined flags, the memory window, every XMM register,
/// MXCSR and (for MMX forms) the x87 tag word, TOP and MMX registers.
/// </summary>
/// <remarks>
/// Inputs: XMM and memory lanes come from <see cref="FpValueGenerator"/> when the instruction's elements are floating
/// point, else random bytes with structure (runs, zeros); MXCSR has every exception masked (an unmasked exception
/// would trap on the host) and a random rounding mode, DAZ, FTZ and sticky flags. Memory operands are
/// [base + disp], naturally aligned, with the base holding window + 0x100 on the host and
/// <see cref="TestMachine.DataBase"/> + 0x100 in the simulator. Only what the SDM defines is compared: see
/// <see cref="SimdUndefined"/>.
/// </remarks>
internal sealed class SimdDifferentialHarness : IDisposable
{
    private const int BaseOffset = 0x100;
    private static readonly Register[] BasePool =
    [
        Register.RBX, Register.RBP, Register.RSI, Register.R8, Register.R9, Register.R10, Register.R11,
        Register.R12, Register.R13, Register.R14, Register.R15,
    ];

    private readonly TestMachine machine = TestMachine.LongMode(4 << 20);
    private readonly OperandGenerator gen;
    private readonly FpValueGenerator fp;
    private readonly Random rng;
    private readonly Code code;
    private readonly bool memory;
    private readonly OpCodeInfo info;
    private readonly int floatBits;

    public int Executed { get; private set; }
    public int Rejected { get; private set; }
    public List<string> Failures { get; } = [];

    public SimdDifferentialHarness(Code code, bool memory, int seed)
    {
        this.code = code;
        this.memory = memory;
        info = code.ToOpCode();
        gen = new OperandGenerator(seed);
        fp = new FpValueGenerator(seed ^ 0x3C3C3C);
        rng = new Random(seed ^ 0x5A5A5A5);
        floatBits = SimdUndefined.FloatBits(code);
        var c = machine.Cpu;
        c.Cr4 |= CpuCore.Cr4Osfxsr | CpuCore.Cr4Osxmmexcpt;
    }

    public void Dispose() => machine.Dispose();

    public void Run(int iterations)
    {
        for (int i = 0; i < iterations && Failures.Count < 5; i++)
            RunOne();
    }

    private void RunOne()
    {
        var baseReg = BasePool[rng.Next(BasePool.Length)];
        Instruction instr;
        int attempts = 0;
        while (!TryBuild(baseReg, out instr))
        {
            if (++attempts > 50) throw new InvalidOperationException($"cannot build an instance of {code}");
            baseReg = BasePool[rng.Next(BasePool.Length)];
        }
        byte[] hostCode = Asm.Encode(instr);
        var input = gen.NextState();
        input.Rflags = gen.NextFlags(includeDf: true);
        input.Fx = NextExtendedState();
        FillMemory(input.Memory);
        ShapeInput(input, instr);
        int baseIndex = baseReg - Register.RAX;
        input.Gpr[baseIndex] = HostCpu.MemoryBase + BaseOffset;

        if (!HostCpu.TryExecute(hostCode, input, out var host, out string? why))
        {
            Rejected++;
            if (Rejected > 10 && Rejected > Executed) throw new InvalidOperationException($"oracle rejects {instr}: {why}");
            return;
        }
        Executed++;

        var c = machine.Cpu;
        bool viaRdi = instr.Op0Kind == OpKind.MemorySegRDI;
        var sim = DifferentialSimulator.RunOne(machine, input, instr, baseIndex, BaseOffset, cpu =>
        {
            if (viaRdi) cpu.R[Reg.RDI] = input.Rdi - HostCpu.MemoryBase + TestMachine.DataBase;
            ExtendedStateImage.LoadInto(input.Fx!, cpu);
        });
        if (viaRdi) sim.Gpr[Reg.RDI] = c.R[Reg.RDI] - TestMachine.DataBase + HostCpu.MemoryBase;
        var simFx = ExtendedStateImage.Capture(c);

        var expected = host!.Out;
        string? diff = c.State == RunState.Running ? null : $"simulator stopped: {c.State} {c.ShutdownReason}\n";
        if (c.LastFault is { } fault && c.Rip == TestMachine.CodeBase) diff += $"simulator raised {Vector.Name(fault.Vector)}\n";
        var expectedFx = SimdUndefined.Tolerate(instr, host.Input.Fx!, expected.Fx!, simFx, host.Input);
        diff += sim.DiffFrom(expected, FlagsMask.Defined(instr, input.Rcx));
        diff += simFx.DiffFrom(expectedFx);
        ulong nextRip = TestMachine.CodeBase + (ulong)hostCode.Length;
        if (c.Rip != nextRip) diff += $"rip: expected {nextRip:X}, actual {c.Rip:X}\n";
        c.LastFault = null;
        if (!string.IsNullOrEmpty(diff))
        {
            var sb = new StringBuilder();
            sb.Append(instr.ToString()).Append(" (").Append(Convert.ToHexString(hostCode)).Append(")\n");
            sb.Append("input:\n").Append(host.Input).Append('\n').Append(host.Input.Fx).Append('\n');
            for (int n = 0; n < 16; n++)
            {
                var (lo, hi) = host.Input.Fx!.GetXmm(n);
                sb.Append($"xmm{n}={hi:X16}{lo:X16}").Append(n % 4 == 3 ? '\n' : ' ');
            }
            if (memory) sb.Append("memory operand: ").Append(Convert.ToHexString(host.Input.Memory.AsSpan(MemoryOffset(instr, host.Input), Math.Max(1, instr.MemorySize.GetSize())))).Append('\n');
            sb.Append(diff);
            Failures.Add(sb.ToString());
        }
    }

    private static int MemoryOffset(in Instruction instr, MachineState input)
    {
        if (instr.Op0Kind == OpKind.MemorySegRDI) return (int)(input.Rdi - HostCpu.MemoryBase);
        return BaseOffset + (int)(long)instr.MemoryDisplacement64;
    }

    // ---- inputs -----------------------------------------------------------------------------------------------

    private FxsaveImage NextExtendedState()
    {
        var fx = FxsaveImage.CreateDefault();
        // Every exception masked (an unmasked one would trap on the host); random RC, DAZ, FTZ and sticky flags.
        uint mxcsr = 0x1F80u | ((uint)rng.Next(4) << 13) | (rng.Next(3) == 0 ? 0x40u : 0) | (rng.Next(3) == 0 ? 0x8000u : 0);
        if (rng.Next(4) == 0) mxcsr |= (uint)rng.Next(64);
        fx.Mxcsr = mxcsr;
        for (int n = 0; n < 16; n++) fx.SetXmm(n, NextLanes(), NextLanes());
        // MMX registers (the x87 stack in register form): random significands, exponent all ones, TOP 0, all valid.
        fx.Ftw = (byte)rng.Next(256);
        for (int i = 0; i < 8; i++) fx.SetSt(i, NextLanes(), 0xFFFF);
        return fx;
    }

    // 64 bits of lane data: floating-point patterns for FP instructions, else structured integers.
    private ulong NextLanes()
    {
        if (floatBits == 64) return fp.Next(64);
        if (floatBits == 32) return fp.Next(32) | (fp.Next(32) << 32);
        return rng.Next(6) switch
        {
            0 => gen.Next(),
            1 => 0x0101_0101_0101_0101UL * (ulong)rng.Next(256),                        // a repeated byte
            2 => RandomBytes("abc\0", 8),                                                // short strings with terminators
            3 => RandomBytes("\0\u0001\u007F\u0080\u00FF", 8),                          // saturation boundaries
            _ => fp.Bits(),
        };
    }

    private ulong RandomBytes(string alphabet, int count)
    {
        ulong v = 0;
        for (int i = 0; i < count; i++) v |= (ulong)(byte)alphabet[rng.Next(alphabet.Length)] << (8 * i);
        return v;
    }

    private void FillMemory(byte[] window)
    {
        for (int o = 0; o + 8 <= window.Length; o += 8)
            BitConverter.TryWriteBytes(window.AsSpan(o, 8), NextLanes());
    }

    private void ShapeInput(MachineState s, in Instruction instr)
    {
        var m = instr.Mnemonic;
        // PCMPESTRx: explicit lengths in EAX/RAX and EDX/RDX, mostly small (negative counts too).
        if (m is Mnemonic.Pcmpestri or Mnemonic.Pcmpestri64 or Mnemonic.Pcmpestrm or Mnemonic.Pcmpestrm64 && rng.Next(5) != 0)
        {
            s.Rax = (ulong)(long)rng.Next(-20, 21);
            s.Rdx = (ulong)(long)rng.Next(-20, 21);
        }
        // MASKMOVDQU/MASKMOVQ store through RDI: point it into the window.
        // (The oracle accepts 16-byte operands only when 16-byte aligned.)
        if (instr.Op0Kind == OpKind.MemorySegRDI) s.Rdi = HostCpu.MemoryBase + (ulong)(0x80 + (rng.Next(0x100) & (m == Mnemonic.Maskmovdqu ? ~15 : ~0)));
    }

    // ---- instruction construction --------------------------------------------------------------------------------

    private bool TryBuild(Register baseReg, out Instruction instr)
    {
        instr = default;
        var ops = new List<object>();
        bool usedMemory = false;
        for (int i = 0; i < info.OpCount; i++)
        {
            switch (info.GetOpKind(i))
            {
                case OpCodeOperandKind.xmm_reg or OpCodeOperandKind.xmm_rm: ops.Add(Register.XMM0 + rng.Next(16)); break;
                case OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm: ops.Add(Register.MM0 + rng.Next(8)); break;
                case OpCodeOperandKind.xmm_or_mem: ops.Add(memory ? Memory(baseReg) : Register.XMM0 + rng.Next(16)); usedMemory |= memory; break;
                case OpCodeOperandKind.mm_or_mem: ops.Add(memory ? Memory(baseReg) : Register.MM0 + rng.Next(8)); usedMemory |= memory; break;
                case OpCodeOperandKind.r32_or_mem: ops.Add(memory ? Memory(baseReg) : Gpr(Register.EAX, baseReg)); usedMemory |= memory; break;
                case OpCodeOperandKind.r64_or_mem: ops.Add(memory ? Memory(baseReg) : Gpr(Register.RAX, baseReg)); usedMemory |= memory; break;
                case OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_rm: ops.Add(Gpr(Register.EAX, baseReg)); break;
                case OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_rm: ops.Add(Gpr(Register.RAX, baseReg)); break;
                case OpCodeOperandKind.mem: ops.Add(Memory(baseReg)); usedMemory = true; break;
                case OpCodeOperandKind.imm8: ops.Add(rng.Next(256)); break;
                case OpCodeOperandKind.seg_rDI: break;   // MASKMOVDQU / MASKMOVQ: created below
                default: throw new NotSupportedException($"{code}: operand kind {info.GetOpKind(i)}");
            }
        }
        if (memory && !usedMemory) return false;
        try
        {
            if (info.OpCount > 0 && info.GetOpKind(0) == OpCodeOperandKind.seg_rDI)
            {
                instr = code == Code.Maskmovdqu_rDI_xmm_xmm
                    ? Instruction.CreateMaskmovdqu(64, (Register)ops[0], (Register)ops[1])
                    : Instruction.CreateMaskmovq(64, (Register)ops[0], (Register)ops[1]);
            }
            else
            {
                instr = ops.ToArray() switch
                {
                    [] => Instruction.Create(code),
                    [Register a] => Instruction.Create(code, a),
                    [MemoryOperand a] => Instruction.Create(code, a),
                    [Register a, Register b] => Instruction.Create(code, a, b),
                    [Register a, MemoryOperand b] => Instruction.Create(code, a, b),
                    [MemoryOperand a, Register b] => Instruction.Create(code, a, b),
                    [Register a, int b] => Instruction.Create(code, a, b),
                    [Register a, Register b, int i] => Instruction.Create(code, a, b, i),
                    [Register a, MemoryOperand b, int i] => Instruction.Create(code, a, b, i),
                    [MemoryOperand a, Register b, int i] => Instruction.Create(code, a, b, i),
                    _ => throw new NotSupportedException($"{code}: operand shape"),
                };
            }
            var ms = new MemoryStream();
            return Iced.Intel.Encoder.Create(64, new StreamCodeWriter(ms)).TryEncode(instr, HostCpu.InstructionAddress, out _, out _);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // [base + disp], naturally aligned for the operand (16 bytes at most), inside the window.
    private MemoryOperand Memory(Register baseReg)
    {
        int size = Math.Max(1, Math.Min(16, info.MemorySize.GetSize()));
        int disp = rng.Next(-0x80, 0x80) & -size;
        return new MemoryOperand(baseReg, disp);
    }

    private Register Gpr(Register first, Register baseReg)
    {
        while (true)
        {
            int n = rng.Next(16);
            if (n == 4 || Register.RAX + n == baseReg) continue;
            return first + n;
        }
    }
}

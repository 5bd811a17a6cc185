using System.Text;
using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Runs one instruction form with random inputs on the host (<see cref="HostCpu"/>) and on the simulator
/// in 64-bit mode, and compares all GPRs, the defined flags and the memory window.
/// </summary>
/// <remarks>
/// Rebasing: memory operands are always [base + disp] with a base register chosen from RBX, RBP, RSI, RDI,
/// R8–R15 that no other operand uses. It holds window + 0x100 on the host and
/// <see cref="TestMachine.DataBase"/> + 0x100 in the simulator, where the 512-byte window is copied to
/// <see cref="TestMachine.DataBase"/>; the base register and RSP are compared modulo that rebase.
/// </remarks>
internal sealed class AluDifferentialHarness : IDisposable
{
    private const int BaseOffset = 0x100;
    private static readonly Register[] BasePool =
    [
        Register.RBX, Register.RBP, Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11,
        Register.R12, Register.R13, Register.R14, Register.R15,
    ];

    private static readonly int[] ShiftCounts = [0, 1, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255];

    private readonly TestMachine machine = TestMachine.LongMode(4 << 20);
    private readonly OperandGenerator gen;
    private readonly Random rng;
    private readonly Code code;
    private readonly bool memory;
    private readonly OpCodeInfo info;

    public int Executed { get; private set; }
    public int Faulted { get; private set; }
    public int Rejected { get; private set; }
    public List<string> Failures { get; } = [];

    public AluDifferentialHarness(Code code, bool memory, int seed)
    {
        this.code = code;
        this.memory = memory;
        info = code.ToOpCode();
        gen = new OperandGenerator(seed);
        rng = new Random(seed ^ 0x5A5A5A5);
    }

    public void Dispose() => machine.Dispose();

    public void Run(int iterations)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < iterations && Failures.Count < 5; i++)
            RunOne();
        Elapsed = sw.Elapsed;
    }

    public TimeSpan Elapsed { get; private set; }

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
        ShapeInput(input, instr, baseReg);
        int baseIndex = baseReg - Register.RAX;
        input.Gpr[baseIndex] = HostCpu.MemoryBase + BaseOffset;

        if (!HostCpu.TryExecute(hostCode, input, out var host, out string? why))
        {
            Rejected++;
            if (Rejected > 10 && Rejected > Executed) throw new InvalidOperationException($"oracle rejects {instr}: {why}");
            return;
        }
        Executed++;

        var sim = DifferentialSimulator.RunOne(machine, input, instr, baseIndex, BaseOffset);
        var c = machine.Cpu;

        string? diff;
        if (host!.Faulted)
        {
            Faulted++;
            var expected = host.Input;
            diff = c.State == RunState.Shutdown && c.ShutdownReason?.StartsWith("#DE", StringComparison.Ordinal) == true
                ? null : $"expected #DE, simulator state {c.State} ({c.ShutdownReason})\n";
            diff += sim.DiffFrom(expected, FlagsMask.Controllable);
            if (c.Rip != TestMachine.CodeBase) diff += $"rip: expected the faulting instruction {TestMachine.CodeBase:X}, actual {c.Rip:X}\n";
        }
        else
        {
            ulong mask = FlagsMask.Defined(instr, input.Rcx);
            diff = c.State == RunState.Running ? null : $"simulator stopped: {c.State} {c.ShutdownReason}\n";
            var expected = host.Out;
            if (UndefinedResult.IsUndefined(instr, input, BaseOffset))
                expected = UndefinedResult.TakeDestinationFrom(sim, expected, instr, BaseOffset);
            diff += sim.DiffFrom(expected, mask);
            ulong nextRip = TestMachine.CodeBase + (ulong)hostCode.Length;
            if (c.Rip != nextRip) diff += $"rip: expected {nextRip:X}, actual {c.Rip:X}\n";
        }
        if (!string.IsNullOrEmpty(diff))
        {
            var sb = new StringBuilder();
            sb.Append(instr.ToString()).Append(" (").Append(Convert.ToHexString(hostCode)).Append(") base ").Append(baseReg).Append('\n');
            sb.Append("input:\n").Append(host.Input).Append('\n');
            sb.Append(diff);
            Failures.Add(sb.ToString());
        }
    }

    // ---- instruction construction ----------------------------------------------------------------

    private bool TryBuild(Register baseReg, out Instruction instr)
    {
        instr = default;
        var used = new List<Register> { baseReg };
        var ops = new object[info.OpCount];
        for (int i = 0; i < info.OpCount; i++)
        {
            var k = info.GetOpKind(i);
            switch (k)
            {
                case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem:
                    ops[i] = memory ? new MemoryOperand(baseReg, rng.Next(-0x80, 0x79)) : PickRegister(k, used);
                    break;
                case OpCodeOperandKind.r8_reg or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r64_reg
                    or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.r16_opcode or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r64_opcode:
                    ops[i] = PickRegister(k, used);
                    break;
                case OpCodeOperandKind.al: ops[i] = Register.AL; break;
                case OpCodeOperandKind.ax: ops[i] = Register.AX; break;
                case OpCodeOperandKind.eax: ops[i] = Register.EAX; break;
                case OpCodeOperandKind.rax: ops[i] = Register.RAX; break;
                case OpCodeOperandKind.cl: ops[i] = Register.CL; break;
                case OpCodeOperandKind.imm8_const_1: ops[i] = 1; break;
                case OpCodeOperandKind.imm8:
                    ops[i] = IsShiftLike() ? ShiftCounts[rng.Next(ShiftCounts.Length)] : (int)(byte)gen.Next(8);
                    break;
                case OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64:
                    ops[i] = (int)(sbyte)gen.Next(8);
                    break;
                case OpCodeOperandKind.imm16: ops[i] = (int)(ushort)gen.Next(16); break;
                case OpCodeOperandKind.imm32 or OpCodeOperandKind.imm32sex64: ops[i] = (int)(uint)gen.Next(32); break;
                default: throw new NotSupportedException($"{code}: operand kind {k}");
            }
        }
        try
        {
            instr = ops switch
            {
                [] => Instruction.Create(code),
                [Register a] => Instruction.Create(code, a),
                [MemoryOperand a] => Instruction.Create(code, a),
                [Register a, Register b] => Instruction.Create(code, a, b),
                [Register a, MemoryOperand b] => Instruction.Create(code, a, b),
                [MemoryOperand a, Register b] => Instruction.Create(code, a, b),
                [Register a, int b] => Instruction.Create(code, a, b),
                [MemoryOperand a, int b] => Instruction.Create(code, a, b),
                [Register a, Register b, int i] => Instruction.Create(code, a, b, i),
                [Register a, MemoryOperand b, int i] => Instruction.Create(code, a, b, i),
                [MemoryOperand a, Register b, int i] => Instruction.Create(code, a, b, i),
                [Register a, Register b, Register d] => Instruction.Create(code, a, b, d),
                [MemoryOperand a, Register b, Register d] => Instruction.Create(code, a, b, d),
                _ => throw new NotSupportedException($"{code}: operand shape"),
            };
            var ms = new MemoryStream();
            return Iced.Intel.Encoder.Create(64, new StreamCodeWriter(ms)).TryEncode(instr, HostCpu.InstructionAddress, out _, out _);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private bool IsShiftLike() => code.Mnemonic() is Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol
        or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr or Mnemonic.Shld or Mnemonic.Shrd
        or Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc;

    private Register PickRegister(OpCodeOperandKind k, List<Register> used)
    {
        int size = k switch
        {
            OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode => 1,
            OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode => 2,
            OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode => 4,
            _ => 8,
        };
        while (true)
        {
            Register r;
            int n = rng.Next(size == 1 ? 20 : 16);
            if (size == 1)
                r = n < 16 ? (n < 4 ? Register.AL + n : n < 8 ? Register.SPL + (n - 4) : Register.R8L + (n - 8)) : Register.AH + (n - 16);
            else
                r = (size == 2 ? Register.AX : size == 4 ? Register.EAX : Register.RAX) + n;
            var full = FullRegister(r);
            if (full == Register.RSP || FullRegister(used[0]) == full) continue;
            // Two operands may name the same register (e.g. add rax, rax) unless that defeats the test.
            used.Add(r);
            return r;
        }
    }

    private static Register FullRegister(Register r) =>
        r is >= Register.AH and <= Register.BH ? Register.RAX + (r - Register.AH) : r.GetFullRegister();

    // ---- input shaping -----------------------------------------------------------------------------

    private void ShapeInput(MachineState s, in Instruction instr, Register baseReg)
    {
        var m = instr.Mnemonic;
        if (IsShiftLike() && instr.OpCount >= 2 && instr.GetOpKind(instr.OpCount - 1) == OpKind.Register
            && instr.GetOpRegister(instr.OpCount - 1) == Register.CL && rng.Next(4) != 0)
            s.Rcx = (s.Rcx & ~0xFFUL) | (uint)ShiftCounts[rng.Next(ShiftCounts.Length)];

        // BT* with a register bit offset and a memory operand: keep the addressed unit inside the window.
        if (m is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc && memory && instr.Op1Kind == OpKind.Register)
        {
            int index = FullRegister(instr.Op1Register) - Register.RAX;
            long offset = rng.Next(-0x40 * 8, 0x40 * 8);
            ulong mask = instr.Op1Register.GetSize() switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };
            s.Gpr[index] = (s.Gpr[index] & ~mask) | ((ulong)offset & mask);
        }

        // Divides: make most dividends small enough that the quotient fits, keep some that fault.
        if (m is Mnemonic.Div or Mnemonic.Idiv && rng.Next(4) != 0)
        {
            int bits = memory ? instr.MemorySize.GetSize() * 8 : instr.Op0Register.GetSize() * 8;
            bool signed = m == Mnemonic.Idiv;
            if (bits == 8)
            {
                ulong ax = s.Rax & 0xFF;
                ulong ah = signed && (ax & 0x80) != 0 ? 0xFFUL : 0;
                s.Rax = (s.Rax & ~0xFF00UL) | (ah << 8);
            }
            else
            {
                ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
                bool negative = ((s.Rax >> (bits - 1)) & 1) != 0;
                ulong hi = signed && negative ? mask : 0;
                s.Rdx = (s.Rdx & ~mask) | hi;
            }
        }
    }
}

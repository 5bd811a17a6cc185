using Iced.Intel;
using Smp.Devices.Cpu.Instructions;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// Random loops for the interpreter-versus-JIT differential tests: every legacy form (register, memory, immediate, all
/// operand sizes, AH–BH, REX registers) of the integer instructions the translator specialises, and of some it leaves to
/// handlers (rotates, bit tests, MUL/DIV — which fault — flag instructions), with forward conditional skips, calls to a
/// random function and balanced PUSH/POP. Memory operands address a data window through rSI (never written by the
/// program); a fault handler resets the stack, counts the fault and resumes at the loop top, so faults happen inside
/// translated code again and again.
/// </summary>
internal sealed class RandomProgram
{
    /// <summary>Offset from the data base of the loop counter (dword) and of the fault counter (qword).</summary>
    public const int CounterOffset = 0x2000, FaultCountOffset = 0x2008;

    /// <summary>Bytes of the data window random memory operands address.</summary>
    public const int Window = 0x1000;

    private static readonly Mnemonic[] Pool =
    [
        Mnemonic.Add, Mnemonic.Or, Mnemonic.Adc, Mnemonic.Sbb, Mnemonic.And, Mnemonic.Sub, Mnemonic.Xor, Mnemonic.Cmp, Mnemonic.Test,
        Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Neg, Mnemonic.Not, Mnemonic.Mov, Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd,
        Mnemonic.Lea, Mnemonic.Shl, Mnemonic.Sal, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Imul, Mnemonic.Mul, Mnemonic.Xchg,
        Mnemonic.Cbw, Mnemonic.Cwde, Mnemonic.Cdqe, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Cqo,
        Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe,
        Mnemonic.Cmova, Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge,
        Mnemonic.Cmovle, Mnemonic.Cmovg,
        Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta,
        Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
        Mnemonic.Nop,
        // Left to handlers: the translation calls them with its state written back and reloads after.
        Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr, Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc,
        Mnemonic.Div, Mnemonic.Idiv, Mnemonic.Stc, Mnemonic.Clc, Mnemonic.Cmc, Mnemonic.Lahf, Mnemonic.Sahf,
        Mnemonic.Xadd, Mnemonic.Cmpxchg, Mnemonic.Bsf, Mnemonic.Bsr, Mnemonic.Shld, Mnemonic.Shrd, Mnemonic.Bswap,
    ];

    private static readonly Dictionary<int, Code[]> CodesByBitness = [];

    private readonly int _bitness;
    private readonly Random _rnd;
    private readonly Encoder _probe;
    private readonly Register _base;

    private RandomProgram(int bitness, Random rnd)
    {
        _bitness = bitness;
        _rnd = rnd;
        _probe = Encoder.Create(bitness, new StreamCodeWriter(new MemoryStream()));
        _base = bitness switch { 64 => Register.RSI, 32 => Register.ESI, _ => Register.SI };
    }

    /// <summary>
    /// Assembles a program at <paramref name="codeBase"/>: the loop (<paramref name="length"/> random units), HLT, a
    /// called function, and the fault handler (its address in <paramref name="handler"/>).
    /// </summary>
    public static byte[] Build(int bitness, ulong codeBase, int length, Random rnd, out ulong handler)
    {
        var p = new RandomProgram(bitness, rnd);
        var a = new Assembler(bitness);
        var top = a.CreateLabel();
        var done = a.CreateLabel();
        var function = a.CreateLabel();
        var fault = a.CreateLabel();
        a.Label(ref top);
        for (int i = 0; i < length; i++) p.EmitUnit(a, function);
        p.EmitCounterDec(a);
        a.jnz(top);
        a.Label(ref done);
        a.hlt();
        a.jmp(done);

        a.Label(ref function);
        for (int i = 0, n = rnd.Next(1, 5); i < n; i++) p.EmitRandom(a);
        a.ret();

        // The fault handler: fresh stack, count the fault, and go round the loop again (or stop).
        a.Label(ref fault);
        p.EmitStackReset(a);
        p.EmitFaultCount(a);
        p.EmitCounterDec(a);
        a.jz(done);
        a.jmp(top);

        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), codeBase, BlockEncoderOptions.ReturnNewInstructionOffsets);
        handler = result.GetLabelRIP(fault);
        return stream.ToArray();
    }

    private void EmitUnit(Assembler a, Label function)
    {
        int kind = _rnd.Next(100);
        if (kind < 8)
        {
            // A forward conditional skip over one to three instructions.
            var skip = a.CreateLabel();
            Jcc(a, _rnd.Next(16), skip);
            for (int i = 0, n = _rnd.Next(1, 4); i < n; i++) EmitRandom(a);
            a.Label(ref skip);
            return;
        }
        if (kind < 12)
        {
            a.call(function);
            return;
        }
        if (kind < 15)
        {
            var r = RandomReg(_bitness == 16 ? 1 : _bitness == 32 ? 2 : 3);
            EmitPush(a, r);
            EmitRandom(a);
            EmitPop(a, RandomReg(_bitness == 16 ? 1 : _bitness == 32 ? 2 : 3));
            return;
        }
        EmitRandom(a);
    }

    private static void Jcc(Assembler a, int cc, Label target)
    {
        switch (cc)
        {
            case 0: a.jo(target); break;
            case 1: a.jno(target); break;
            case 2: a.jb(target); break;
            case 3: a.jae(target); break;
            case 4: a.je(target); break;
            case 5: a.jne(target); break;
            case 6: a.jbe(target); break;
            case 7: a.ja(target); break;
            case 8: a.js(target); break;
            case 9: a.jns(target); break;
            case 10: a.jp(target); break;
            case 11: a.jnp(target); break;
            case 12: a.jl(target); break;
            case 13: a.jge(target); break;
            case 14: a.jle(target); break;
            default: a.jg(target); break;
        }
    }

    private void EmitRandom(Assembler a)
    {
        var codes = Codes(_bitness);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var code = codes[_rnd.Next(codes.Length)];
            if (TryCreate(code, out var instr) && _probe.TryEncode(instr, 0x1000, out _, out _))
            {
                a.AddInstruction(instr);
                return;
            }
        }
        a.nop();
    }

    private bool TryCreate(Code code, out Instruction instr)
    {
        instr = default;
        var op = code.ToOpCode();
        var operands = new object[op.OpCount];
        for (int i = 0; i < op.OpCount; i++)
        {
            object? o = Operand(op.GetOpKind(i));
            if (o is null) return false;
            operands[i] = o;
        }
        try
        {
            instr = operands switch
            {
                [] => Instruction.Create(code),
                [Register r] => Instruction.Create(code, r),
                [MemoryOperand m] => Instruction.Create(code, m),
                [Register r1, Register r2] => Instruction.Create(code, r1, r2),
                [Register r, MemoryOperand m] => Instruction.Create(code, r, m),
                [MemoryOperand m, Register r] => Instruction.Create(code, m, r),
                [Register r, long v] when op.GetOpKind(1) == OpCodeOperandKind.imm64 => Instruction.Create(code, r, v),
                [Register r, long v] => Instruction.Create(code, r, (int)v),
                [MemoryOperand m, long v] => Instruction.Create(code, m, (int)v),
                [Register r1, Register r2, long v] => Instruction.Create(code, r1, r2, (int)v),
                [Register r, MemoryOperand m, long v] => Instruction.Create(code, r, m, (int)v),
                [Register r1, Register r2, Register r3] => Instruction.Create(code, r1, r2, r3),
                [MemoryOperand m, Register r1, Register r2] => Instruction.Create(code, m, r1, r2),
                [MemoryOperand m, Register r, long v] => Instruction.Create(code, m, r, (int)v),
                _ => throw new ArgumentException("operand shape"),
            };
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private object? Operand(OpCodeOperandKind kind)
    {
        int size = AluCodes.SizeIndex(kind);
        switch (kind)
        {
            case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem:
                return _rnd.Next(3) == 0 ? Memory() : RandomReg(size);
            case OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode
                or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode:
                return RandomReg(size);
            case OpCodeOperandKind.al: return Register.AL;
            case OpCodeOperandKind.ax: return Register.AX;
            case OpCodeOperandKind.eax: return Register.EAX;
            case OpCodeOperandKind.rax: return Register.RAX;
            case OpCodeOperandKind.cl: return Register.CL;
            case OpCodeOperandKind.mem: return Memory();
            case OpCodeOperandKind.imm8_const_1: return 1L;
            case OpCodeOperandKind.imm8: return (long)_rnd.Next(256);
            case OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64: return (long)(sbyte)_rnd.Next(256);
            case OpCodeOperandKind.imm16: return (long)_rnd.Next(65536);
            case OpCodeOperandKind.imm32 or OpCodeOperandKind.imm32sex64: return (long)_rnd.Next(int.MinValue, int.MaxValue);
            case OpCodeOperandKind.imm64: return _rnd.NextInt64(long.MinValue, long.MaxValue);
            default: return null;
        }
    }

    private MemoryOperand Memory() => new(_base, _rnd.Next(Window - 8));

    private Register RandomReg(int size)
    {
        // Never rSP or rSI (stack and data base); R8–R15 and SPL-style registers only in 64-bit mode.
        Register[] pool = size switch
        {
            0 => _bitness == 64
                ? [Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH, Register.DIL, Register.BPL, Register.R8L, Register.R9L, Register.R13L]
                : [Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH],
            1 => _bitness == 64
                ? [Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.DI, Register.R8W, Register.R10W, Register.R14W]
                : [Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.DI],
            2 => _bitness == 64
                ? [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.EDI, Register.R8D, Register.R11D, Register.R12D]
                : [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.EDI],
            _ => [Register.RAX, Register.RCX, Register.RDX, Register.RBX, Register.RBP, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12, Register.R13, Register.R14, Register.R15],
        };
        return pool[_rnd.Next(pool.Length)];
    }

    private void EmitPush(Assembler a, Register r) => a.AddInstruction(Instruction.Create(_bitness switch { 64 => Code.Push_r64, 32 => Code.Push_r32, _ => Code.Push_r16 }, r));

    private void EmitPop(Assembler a, Register r) => a.AddInstruction(Instruction.Create(_bitness switch { 64 => Code.Pop_r64, 32 => Code.Pop_r32, _ => Code.Pop_r16 }, r));

    private void EmitCounterDec(Assembler a) =>
        a.AddInstruction(Instruction.Create(Code.Dec_rm32, new MemoryOperand(_base, CounterOffset)));

    private void EmitFaultCount(Assembler a) =>
        a.AddInstruction(Instruction.Create(Code.Inc_rm32, new MemoryOperand(_base, FaultCountOffset)));

    private void EmitStackReset(Assembler a)
    {
        var (code, sp, top) = _bitness switch
        {
            64 => (Code.Mov_r64_imm64, Register.RSP, (long)TestMachine.StackTop),
            32 => (Code.Mov_r32_imm32, Register.ESP, (long)TestMachine.StackTop),
            _ => (Code.Mov_r16_imm16, Register.SP, 0x7000L),
        };
        a.AddInstruction(code == Code.Mov_r64_imm64 ? Instruction.Create(code, sp, top) : Instruction.Create(code, sp, (int)top));
    }

    private static Code[] Codes(int bitness)
    {
        lock (CodesByBitness)
        {
            if (CodesByBitness.TryGetValue(bitness, out var cached)) return cached;
            var list = new List<Code>();
            foreach (var m in Pool)
                foreach (var code in AluCodes.Of(m))
                {
                    var op = code.ToOpCode();
                    bool available = bitness switch { 64 => op.Mode64, 32 => op.Mode32, _ => op.Mode16 };
                    if (available) list.Add(code);
                }
            return CodesByBitness[bitness] = [.. list];
        }
    }
}

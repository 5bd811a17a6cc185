using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Instructions;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// Every flag the translator computes itself, at the operand values where the formulas differ (signs, carries, zero,
/// the edges of each width): each flag-setting operation the JIT specialises, at each operand size, followed by all
/// sixteen SETcc, an ADC that reads its carry, an INC that must keep it, and a PUSHF that sees the record the translation
/// wrote back — translated and interpreted, byte for byte.
/// </summary>
public class JitFlagTests
{
    private const ulong Table = TestMachine.DataBase, Output = TestMachine.DataBase + 0x10000;

    private static readonly ulong[] Values =
    [
        0, 1, 2, 0x7F, 0x80, 0x81, 0xFF, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0x8000_0000_0000_0001, ulong.MaxValue, 0x1234_5678_9ABC_DEF0, 0xFEDC_BA98_7654_3210,
    ];

    public static TheoryData<string, int> Operations()
    {
        var data = new TheoryData<string, int>();
        foreach (var op in new[] { "add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test", "inc", "dec", "neg", "shl1", "shl3", "shr1", "shr5", "sar1", "sar7", "imul", "imul3", "mul" })
            foreach (int size in new[] { 0, 1, 2, 3 })
                if (!(op.StartsWith("imul", StringComparison.Ordinal) && size == 0))
                    data.Add(op, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public void Translated_flags_match_the_interpreters_at_the_edges_of_every_width(string op, int size)
    {
        var interpreted = Run(op, size, jit: false, out _);
        var translated = Run(op, size, jit: true, out long ranTranslated);
        Assert.True(ranTranslated > Values.Length * Values.Length * 10, $"only {ranTranslated} instructions ran translated");
        for (int i = 0; i < interpreted.Length; i += 40)
        {
            var a = interpreted.AsSpan(i, 40);
            var b = translated.AsSpan(i, 40);
            Assert.True(a.SequenceEqual(b), $"{op}/{8 << size} pair {i / 40}: {Convert.ToHexString(a)} vs {Convert.ToHexString(b)}");
        }
    }

    private static byte[] Run(string op, int size, bool jit, out long translated)
    {
        using var m = TestMachine.LongMode(16 << 20);
        m.Cpu.CompileHotBlocks = jit;
        m.Cpu.JitThreshold = 2;
        int pairs = 0;
        foreach (ulong x in Values)
            foreach (ulong y in Values)
            {
                m.Memory.Write(Table + (ulong)pairs * 16, 8, x);
                m.Memory.Write(Table + (ulong)pairs * 16 + 8, 8, y);
                pairs++;
            }

        m.Load(a =>
        {
            var pass = a.CreateLabel();
            var next = a.CreateLabel();
            a.mov(r14, 3L);                          // passes: the later ones run translated and overwrite the output
            a.Label(ref pass);
            a.mov(rdi, (long)Table);
            a.mov(rbp, (long)Output);
            a.mov(r15, (long)pairs);
            a.Label(ref next);
            a.mov(rax, __qword_ptr[rdi]);
            a.mov(rbx, __qword_ptr[rdi + 8]);
            a.mov(rcx, __qword_ptr[rdi]);
            a.bt(rbx, 7);                            // CF in from the operands, for ADC/SBB and INC/DEC
            Emit(a, op, size);
            for (int cc = 0; cc < 16; cc++) Setcc(a, cc, __byte_ptr[rbp + cc]);
            a.mov(__qword_ptr[rbp + 16], rax);
            a.pushfq();
            a.pop(rdx);
            a.mov(__qword_ptr[rbp + 24], rdx);
            Emit(a, op, size);
            a.mov(edx, 0);
            a.adc(rdx, 0);                           // the carry as a known record gives it
            a.inc(rdx);                              // INC keeps CF
            a.mov(__byte_ptr[rbp + 32], dl);
            Setcc(a, 2, __byte_ptr[rbp + 33]);
            Setcc(a, 0, __byte_ptr[rbp + 34]);
            a.add(rdi, 16);
            a.add(rbp, 40);
            a.dec(r15);
            a.jnz(next);
            a.dec(r14);
            a.jnz(pass);
            a.hlt();
        });
        m.Run(10_000_000);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        translated = m.Cpu.InstructionsTranslated;
        var output = new byte[pairs * 40];
        m.Memory.Copy(Output, output);
        return output;
    }

    // op RAX(size), RBX(size) — or the unary/shift/multiply form — through the one code of that form and size.
    private static void Emit(Assembler a, string op, int size)
    {
        var (mnemonic, shape, count) = op switch
        {
            "shl1" => (Mnemonic.Shl, "ri", 1),
            "shl3" => (Mnemonic.Shl, "ri", 3),
            "shr1" => (Mnemonic.Shr, "ri", 1),
            "shr5" => (Mnemonic.Shr, "ri", 5),
            "sar1" => (Mnemonic.Sar, "ri", 1),
            "sar7" => (Mnemonic.Sar, "ri", 7),
            "imul" => (Mnemonic.Imul, "rr", 0),
            "imul3" => (Mnemonic.Imul, "rri", 0),
            "mul" => (Mnemonic.Mul, "b", 0),
            "inc" or "dec" or "neg" => (Enum.Parse<Mnemonic>(op, ignoreCase: true), "r", 0),
            _ => (Enum.Parse<Mnemonic>(op, ignoreCase: true), "rr", 0),
        };
        var ra = Gpr(Register.RAX, size);
        var rb = Gpr(Register.RBX, size);
        foreach (var code in AluCodes.Of(mnemonic))
        {
            var o = code.ToOpCode();
            if (AluCodes.SizeIndex(code) != size || !o.Mode64) continue;
            if (shape is "r" or "b" && o.OpCount == 1 && AluCodes.IsRm(code, 0))
            {
                a.AddInstruction(Instruction.Create(code, shape == "r" ? ra : rb));   // "b": MUL rAX by rBX
                return;
            }
            if (shape == "rr" && o.OpCount == 2 && !AluCodes.IsImmediate(code, 1) && !AluCodes.IsCl(code, 1) && (mnemonic == Mnemonic.Imul ? AluCodes.IsRm(code, 1) : AluCodes.IsRm(code, 0)))
            {
                a.AddInstruction(Instruction.Create(code, ra, rb));
                return;
            }
            if (shape == "ri" && o.OpCount == 2 && o.GetOpKind(1) == OpCodeOperandKind.imm8)
            {
                a.AddInstruction(Instruction.Create(code, ra, count));
                return;
            }
            if (shape == "rri" && o.OpCount == 3 && o.GetOpKind(2) is OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64)
            {
                a.AddInstruction(Instruction.Create(code, ra, rb, -3));
                return;
            }
        }
        throw new InvalidOperationException($"no {op} form of size {size}");
    }

    private static Register Gpr(Register full, int size) => size switch
    {
        0 => full == Register.RAX ? Register.AL : Register.BL,
        1 => full == Register.RAX ? Register.AX : Register.BX,
        2 => full == Register.RAX ? Register.EAX : Register.EBX,
        _ => full,
    };

    private static void Setcc(Assembler a, int cc, AssemblerMemoryOperand m)
    {
        switch (cc)
        {
            case 0: a.seto(m); break;
            case 1: a.setno(m); break;
            case 2: a.setb(m); break;
            case 3: a.setae(m); break;
            case 4: a.sete(m); break;
            case 5: a.setne(m); break;
            case 6: a.setbe(m); break;
            case 7: a.seta(m); break;
            case 8: a.sets(m); break;
            case 9: a.setns(m); break;
            case 10: a.setp(m); break;
            case 11: a.setnp(m); break;
            case 12: a.setl(m); break;
            case 13: a.setge(m); break;
            case 14: a.setle(m); break;
            default: a.setg(m); break;
        }
    }
}

using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// The SSE4.2 string comparisons PCMPESTRI, PCMPESTRM, PCMPISTRI and PCMPISTRM (SDM Vol. 2B §4.1): the immediate
/// chooses the element format (imm8[1:0]), the aggregation (equal any, ranges, equal each, equal ordered; imm8[3:2]),
/// the polarity (imm8[5:4]) and the output form (imm8[6]). Lengths are explicit (EAX/RAX and EDX/RDX, absolute value
/// saturated to the element count) or implicit (up to the first null element). The memory operand need not be aligned.
/// </summary>
internal static unsafe class SseString
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Pcmpestri_xmm_xmmm128_imm8, &Pcmpestri32);
        HandlerTable.Register(Code.Pcmpestri64_xmm_xmmm128_imm8, &Pcmpestri64);
        HandlerTable.Register(Code.Pcmpestrm_xmm_xmmm128_imm8, &Pcmpestrm32);
        HandlerTable.Register(Code.Pcmpestrm64_xmm_xmmm128_imm8, &Pcmpestrm64);
        HandlerTable.Register(Code.Pcmpistri_xmm_xmmm128_imm8, &Pcmpistri);
        HandlerTable.Register(Code.Pcmpistrm_xmm_xmmm128_imm8, &Pcmpistrm);
    }

    private static void Pcmpestri32(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: true, wide: false, index: true);
    private static void Pcmpestri64(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: true, wide: true, index: true);
    private static void Pcmpestrm32(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: true, wide: false, index: false);
    private static void Pcmpestrm64(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: true, wide: true, index: false);
    private static void Pcmpistri(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: false, wide: false, index: true);
    private static void Pcmpistrm(CpuCore c, ref Uop u) => Compare(c, ref u, explicitLength: false, wide: false, index: false);

    private static void Compare(CpuCore c, ref Uop u, bool explicitLength, bool wide, bool index)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u, aligned: false);
        var a = c.XmmRef(u.R0);
        int imm = (int)u.Imm;
        bool words = (imm & 1) != 0;
        bool signed = (imm & 2) != 0;
        int n = words ? 8 : 16;
        int lengthA = explicitLength ? ExplicitLength(c.Get64(Reg.RAX), wide, n) : ImplicitLength(a, words);
        int lengthB = explicitLength ? ExplicitLength(c.Get64(Reg.RDX), wide, n) : ImplicitLength(b, words);

        uint intRes1 = Aggregate(a, b, lengthA, lengthB, n, words, signed, (imm >> 2) & 3);
        uint all = (1u << n) - 1;
        uint intRes2 = ((imm >> 4) & 3) switch
        {
            1 => ~intRes1 & all,
            3 => (intRes1 ^ ((1u << lengthB) - 1)) & all,
            _ => intRes1,
        };

        if (index)
        {
            uint ecx = intRes2 == 0 ? (uint)n
                : (imm & 0x40) == 0 ? (uint)System.Numerics.BitOperations.TrailingZeroCount(intRes2) : (uint)(31 - System.Numerics.BitOperations.LeadingZeroCount(intRes2));
            c.Set32(Reg.RCX, ecx);
        }
        else
        {
            Vector128<byte> mask;
            if ((imm & 0x40) == 0) mask = Vector128.CreateScalar(intRes2).AsByte();
            else if (words)
            {
                var w = Vector128<ushort>.Zero;
                for (int i = 0; i < 8; i++) if ((intRes2 & (1u << i)) != 0) w = w.WithElement(i, (ushort)0xFFFF);
                mask = w.AsByte();
            }
            else
            {
                mask = Vector128<byte>.Zero;
                for (int i = 0; i < 16; i++) if ((intRes2 & (1u << i)) != 0) mask = mask.WithElement(i, (byte)0xFF);
            }
            c.XmmRef(0) = mask;
        }

        ulong flags = 0;
        if (intRes2 != 0) flags |= Rflags.CF;
        if (lengthB < n) flags |= Rflags.ZF;
        if (lengthA < n) flags |= Rflags.SF;
        if ((intRes2 & 1) != 0) flags |= Rflags.OF;
        c.SetStatusFlags(flags);
    }

    // |length| saturated to the element count; EAX/EDX are read as signed 32-bit values unless REX.W.
    private static int ExplicitLength(ulong reg, bool wide, int n)
    {
        long v = wide ? (long)reg : (int)reg;
        ulong magnitude = v < 0 ? 0 - (ulong)v : (ulong)v;
        return magnitude > (ulong)n ? n : (int)magnitude;
    }

    private static int ImplicitLength(Vector128<byte> v, bool words)
    {
        if (words)
        {
            var w = v.AsUInt16();
            for (int i = 0; i < 8; i++) if (w[i] == 0) return i;
            return 8;
        }
        for (int i = 0; i < 16; i++) if (v[i] == 0) return i;
        return 16;
    }

    private static int Element(Vector128<byte> v, int i, bool words, bool signed) =>
        words ? (signed ? v.AsInt16()[i] : v.AsUInt16()[i]) : (signed ? (sbyte)v[i] : v[i]);

    // BoolRes[i][j] for element i of the first operand (xmm1) and j of the second (xmm2/m128), with the overrides
    // for invalid elements of SDM Vol. 2B Table 4-7; then IntRes1 by the aggregation (§4.1.4).
    private static uint Aggregate(Vector128<byte> a, Vector128<byte> b, int lengthA, int lengthB, int n, bool words, bool signed, int aggregation)
    {
        bool Equal(int i, int j)
        {
            bool validA = i < lengthA, validB = j < lengthB;
            if (validA && validB) return Element(a, i, words, signed) == Element(b, j, words, signed);
            return aggregation switch
            {
                2 => !validA && !validB,    // equal each: both past their ends compare true
                3 => !validA,               // equal ordered: the needle has ended
                _ => false,
            };
        }

        uint result = 0;
        switch (aggregation)
        {
            case 0: // equal any: is element j of b in the set a?
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < n; i++)
                        if (Equal(i, j)) { result |= 1u << j; break; }
                break;
            case 1: // ranges: a holds pairs [lo, hi]
                for (int j = 0; j < n; j++)
                {
                    if (j >= lengthB) continue;
                    int x = Element(b, j, words, signed);
                    for (int i = 0; i + 1 < n; i += 2)
                    {
                        if (i + 1 >= lengthA) break;
                        if (x >= Element(a, i, words, signed) && x <= Element(a, i + 1, words, signed)) { result |= 1u << j; break; }
                    }
                }
                break;
            case 2: // equal each
                for (int j = 0; j < n; j++)
                    if (Equal(j, j)) result |= 1u << j;
                break;
            default: // equal ordered: does the needle a start at element j of b?
                for (int j = 0; j < n; j++)
                {
                    bool match = true;
                    for (int i = 0; i < n - j && match; i++) match = Equal(i, j + i);
                    if (match) result |= 1u << j;
                }
                break;
        }
        return result;
    }
}

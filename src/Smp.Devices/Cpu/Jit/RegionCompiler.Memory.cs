using System.Reflection;
using System.Reflection.Emit;

namespace Smp.Devices.Cpu.Jit;

// Memory operands in 64-bit mode: the effective address from register locals and constants, the segment base only for
// FS and GS (the others are 0, SDM Vol. 1 §3.3.7.1), the SS canonical check (#SS, SDM Vol. 3A §6.15), then the
// software TLB's hit path inline: the entry for the access's first page must carry the tag of its last byte's page,
// which also rejects page-crossing accesses (an entry never holds the page after its own index). A miss calls the
// core's slow path (page walk, MMIO, code pages, faults) with the state written back. Outside 64-bit mode memory
// instructions run through their handlers (segment limit and type checks).
internal sealed partial class RegionCompiler
{
    private static readonly FieldInfo ReadTlbField = typeof(CpuCore).GetField("_readTlb", Private)!;
    private static readonly FieldInfo WriteTlbField = typeof(CpuCore).GetField("_writeTlb", Private)!;
    private static readonly FieldInfo EffectiveBaseField = typeof(CpuCore).GetField("_effectiveBase", Private)!;
    private static readonly Type TlbEntryType = typeof(CpuCore).GetNestedType("TlbEntry", BindingFlags.NonPublic)!;
    private static readonly FieldInfo TlbTagField = TlbEntryType.GetField("Tag")!;
    private static readonly FieldInfo TlbHostField = TlbEntryType.GetField("Host")!;
    private static readonly int TlbSize = (int)typeof(CpuCore).GetField("TlbSize", BindingFlags.Static | BindingFlags.NonPublic)!.GetRawConstantValue()!;
    private static readonly ulong TlbUserBit = (ulong)typeof(CpuCore).GetField("TlbUserBit", BindingFlags.Static | BindingFlags.NonPublic)!.GetRawConstantValue()!;
    private static readonly MethodInfo ReadSlowMethod = typeof(CpuCore).GetMethod("ReadSlow", Private)!;
    private static readonly MethodInfo WriteSlowMethod = typeof(CpuCore).GetMethod("WriteSlow", Private)!;

    /// <summary>Pushes the effective address of <paramref name="u"/>'s memory operand (without segment base).</summary>
    private void EmitEffectiveAddress(ref Uop u)
    {
        long constant = u.Disp + (long)(u.RipRelativeMask & _nextIp);
        Ldc(constant);
        if (u.Base != Reg.None)
        {
            _il.Emit(OpCodes.Ldloc, Reg64(u.Base));
            _il.Emit(OpCodes.Add);
        }
        if (u.Index != Reg.None)
        {
            _il.Emit(OpCodes.Ldloc, Reg64(u.Index));
            if (u.Scale != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, (int)u.Scale);
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Add);
        }
        if (u.AddrMask != ulong.MaxValue)
        {
            Ldc(u.AddrMask);
            _il.Emit(OpCodes.And);
        }
    }

    /// <summary>The linear address of <paramref name="u"/>'s memory operand in a temporary (64-bit mode).</summary>
    private LocalBuilder EmitLinearAddress(ref Uop u)
    {
        var la = Temp();
        EmitEffectiveAddress(ref u);
        if (u.Seg is Seg.FS or Seg.GS)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldflda, EffectiveBaseField);
            _il.Emit(OpCodes.Ldc_I4, u.Seg * 8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ldind_I8);
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Stloc, la);
        if (u.Seg == Seg.SS) EmitStackCanonicalCheck(la);
        return la;
    }

    /// <summary>A non-canonical address through SS is #SS(0) (SDM Vol. 3A §6.15; fact G.3); others fault in the page walk.</summary>
    private void EmitStackCanonicalCheck(LocalBuilder la)
    {
        var fault = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, la);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shl);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shr);
        _il.Emit(OpCodes.Ldloc, la);
        _il.Emit(OpCodes.Bne_Un, fault);
        EmitFaultStub(fault, Vector.SS);
    }

    /// <summary>Cold code at <paramref name="label"/>: the state written back, then #<paramref name="vector"/>(0) raised.</summary>
    private void EmitFaultStub(Label label, int vector)
    {
        var at = Here;
        var flags = _flags;
        Cold(() =>
        {
            _il.MarkLabel(label);
            EmitFaultExit(at, flags, vector);
        });
    }

    // Pushes a reference to the TLB entry of `la`'s page (computed where used: the .NET JIT shares the two copies).
    private void EmitTlbEntry(FieldInfo tlb, LocalBuilder la)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldflda, tlb);
        _il.Emit(OpCodes.Ldloc, la);
        _il.Emit(OpCodes.Ldc_I4, 12);
        _il.Emit(OpCodes.Shr_Un);
        Ldc((long)(TlbSize - 1));
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Conv_I);
        _il.Emit(OpCodes.Sizeof, TlbEntryType);
        _il.Emit(OpCodes.Mul);
        _il.Emit(OpCodes.Add);
    }

    // Branches to `miss` unless the entry holds the page of the access's last byte with this CPL's tag.
    private void EmitTlbCheck(FieldInfo tlb, LocalBuilder la, int bytes, Label miss)
    {
        EmitTlbEntry(tlb, la);
        _il.Emit(OpCodes.Ldfld, TlbTagField);
        _il.Emit(OpCodes.Ldloc, la);
        if (bytes > 1)
        {
            Ldc((long)(bytes - 1));
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Ldc_I4, 12);
        _il.Emit(OpCodes.Shr_Un);
        if (_region.Cpl == 3)
        {
            Ldc(TlbUserBit);
            _il.Emit(OpCodes.Or);
        }
        _il.Emit(OpCodes.Bne_Un, miss);
    }

    // Pushes the host address of `la` in the entry's page.
    private void EmitHostAddress(FieldInfo tlb, LocalBuilder la)
    {
        EmitTlbEntry(tlb, la);
        _il.Emit(OpCodes.Ldfld, TlbHostField);
        _il.Emit(OpCodes.Ldloc, la);
        Ldc(0xFFFL);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>Reads <paramref name="size"/> (0 = 8 … 3 = 64 bits) at linear <paramref name="la"/> into <paramref name="value"/>, zero-extended.</summary>
    private void EmitRead(LocalBuilder la, int size, LocalBuilder value)
    {
        _touchedMemory = true;
        int bytes = 1 << size;
        var miss = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitTlbCheck(ReadTlbField, la, bytes, miss);
        EmitHostAddress(ReadTlbField, la);
        _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (size)
        {
            case 0: _il.Emit(OpCodes.Ldind_U1); _il.Emit(OpCodes.Conv_U8); break;
            case 1: _il.Emit(OpCodes.Ldind_U2); _il.Emit(OpCodes.Conv_U8); break;
            case 2: _il.Emit(OpCodes.Ldind_U4); _il.Emit(OpCodes.Conv_U8); break;
            default: _il.Emit(OpCodes.Ldind_I8); break;
        }
        _il.Emit(OpCodes.Stloc, value);
        _il.MarkLabel(done);
        var at = Here;
        var flags = _flags;
        Cold(() =>
        {
            _il.MarkLabel(miss);
            EmitSync(at, flags, nextRip: false);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, la);
            _il.Emit(OpCodes.Ldc_I4, bytes);
            _il.Emit(OpCodes.Ldc_I4, (int)AccessKind.Read);
            _il.Emit(OpCodes.Call, ReadSlowMethod);
            _il.Emit(OpCodes.Stloc, value);
            _il.Emit(OpCodes.Br, done);
        });
    }

    /// <summary>Writes the low <paramref name="size"/> of <paramref name="value"/> at linear <paramref name="la"/>.</summary>
    private void EmitWrite(LocalBuilder la, int size, LocalBuilder value)
    {
        _touchedMemory = true;
        int bytes = 1 << size;
        var miss = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitTlbCheck(WriteTlbField, la, bytes, miss);
        EmitHostAddress(WriteTlbField, la);
        _il.Emit(OpCodes.Ldloc, value);
        switch (size)
        {
            case 0: _il.Emit(OpCodes.Conv_U1); _il.Emit(OpCodes.Stind_I1); break;
            case 1: _il.Emit(OpCodes.Conv_U2); _il.Emit(OpCodes.Unaligned, (byte)1); _il.Emit(OpCodes.Stind_I2); break;
            case 2: _il.Emit(OpCodes.Conv_U4); _il.Emit(OpCodes.Unaligned, (byte)1); _il.Emit(OpCodes.Stind_I4); break;
            default: _il.Emit(OpCodes.Unaligned, (byte)1); _il.Emit(OpCodes.Stind_I8); break;
        }
        _il.MarkLabel(done);
        var at = Here;
        var flags = _flags;
        Cold(() =>
        {
            _il.MarkLabel(miss);
            EmitSync(at, flags, nextRip: false);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, la);
            _il.Emit(OpCodes.Ldc_I4, bytes);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Ldc_I4, (int)AccessKind.Write);
            _il.Emit(OpCodes.Call, WriteSlowMethod);
            _il.Emit(OpCodes.Br, done);
        });
    }
}

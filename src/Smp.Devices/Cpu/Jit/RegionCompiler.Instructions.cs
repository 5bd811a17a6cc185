using System.Reflection.Emit;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Instructions;

namespace Smp.Devices.Cpu.Jit;

// The instructions the translator specialises: the integer work of ordinary code (MOV and its extensions, LEA, the ALU
// operations, shifts by an immediate, IMUL, CMOVcc/SETcc, XCHG of registers, the sign extensions, NOPs) in every mode
// (memory forms in 64-bit mode), and in 64-bit mode PUSH/POP/CALL/RET. Each follows its interpreter handler step by step
// — the same reads, the same order of memory accesses before any register is written, the same lazy-flag record — so
// the two are interchangeable; the differential tests run both. Anything else returns false and runs its handler.
internal sealed partial class RegionCompiler
{
    private static readonly nint NopHandler = NopPointer();

    private static unsafe nint NopPointer() => (nint)HandlerTable.Get(Code.Nopd);

    private bool TryEmitInstruction(ref Uop u)
    {
        var instr = u.Instr;
        var code = instr.Code;
        if (HandlerTable.EndsBlock(code) || code == Code.INVALID || !HandlerTable.IsImplemented(code)) return false;
        if (!_region.Is64 && HasMemoryOperand(in instr) && instr.Mnemonic != Mnemonic.Lea) return false;
        switch (instr.Mnemonic)
        {
            case Mnemonic.Add or Mnemonic.Or or Mnemonic.Adc or Mnemonic.Sbb or Mnemonic.And or Mnemonic.Sub or Mnemonic.Xor
                or Mnemonic.Cmp or Mnemonic.Test:
                return EmitAluBinary(ref u, instr.Mnemonic);
            case Mnemonic.Inc or Mnemonic.Dec or Mnemonic.Neg or Mnemonic.Not:
                return EmitAluUnary(ref u, instr.Mnemonic);
            case Mnemonic.Mov:
                return EmitMov(ref u);
            case Mnemonic.Movzx or Mnemonic.Movsx or Mnemonic.Movsxd:
                return EmitMovExtend(ref u);
            case Mnemonic.Lea:
                return EmitLea(ref u);
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar:
                return EmitShift(ref u, instr.Mnemonic);
            case Mnemonic.Imul:
                return EmitImul(ref u);
            case Mnemonic.Mul:
                return EmitMul(ref u);
            case Mnemonic.Push:
                return EmitPush(ref u);
            case Mnemonic.Pop:
                return EmitPop(ref u);
            case Mnemonic.Xchg:
                return EmitXchg(ref u);
            case Mnemonic.Cbw or Mnemonic.Cwde or Mnemonic.Cdqe or Mnemonic.Cwd or Mnemonic.Cdq or Mnemonic.Cqo:
                return EmitConvert(instr.Mnemonic);
        }
        if (code.ConditionCode() != ConditionCode.None && instr.Mnemonic.ToString() is var name)
        {
            if (name.StartsWith("Cmov", StringComparison.Ordinal)) return EmitCmov(ref u);
            if (name.StartsWith("Set", StringComparison.Ordinal)) return EmitSetcc(ref u);
        }
        // Every NOP form the interpreter runs as a NOP (PAUSE, multi-byte NOPs, ...): nothing to do.
        return UopHandler(ref u) == NopHandler;
    }

    private static unsafe nint UopHandler(ref Uop u) => (nint)u.Exec;

    private static bool HasMemoryOperand(in Instruction instr)
    {
        for (int i = 0; i < instr.OpCount; i++)
        {
            var k = instr.GetOpKind(i);
            if (k == OpKind.Memory || k is >= OpKind.MemorySegSI and <= OpKind.MemoryESRDI) return true;
        }
        return false;
    }

    private static int SizeOf(Code code) => AluCodes.SizeIndex(code);

    private static ulong MaskOf(int size) => size switch { 0 => 0xFF, 1 => 0xFFFF, 2 => 0xFFFF_FFFF, _ => ulong.MaxValue };

    /// <summary>Reads operand <paramref name="index"/> (register, memory or immediate) at <paramref name="size"/> into a temporary.</summary>
    private LocalBuilder ReadOperand(ref Uop u, int index, int size, out LocalBuilder? la)
    {
        la = null;
        var v = Temp();
        switch (u.Instr.GetOpKind(index))
        {
            case OpKind.Register:
                LoadReg(index == 0 ? u.R0 : index == 1 ? u.R1 : u.R2, size);
                _il.Emit(OpCodes.Stloc, v);
                break;
            case OpKind.Memory:
                la = EmitLinearAddress(ref u);
                EmitRead(la, size, v);
                break;
            default:
                Ldc(u.Imm & MaskOf(size));
                _il.Emit(OpCodes.Stloc, v);
                break;
        }
        return v;
    }

    private bool IsGprOperand(in Instruction instr, int index) =>
        instr.GetOpKind(index) != OpKind.Register || instr.GetOpRegister(index).IsGPR();

    // ---- ALU ------------------------------------------------------------------------------------------

    private bool EmitAluBinary(ref Uop u, Mnemonic m)
    {
        var instr = u.Instr;
        if (instr.OpCount != 2) return false;
        int s = SizeOf(instr.Code);
        bool writes = m is not (Mnemonic.Cmp or Mnemonic.Test);
        // Source first (a memory source is read before the destination register), as AluForms does.
        if (instr.Op1Kind != OpKind.Register && instr.Op1Kind != OpKind.Memory && !IsImmediate(instr.Op1Kind)) return false;
        var b = ReadOperand(ref u, 1, s, out var srcLa);
        LocalBuilder? la = null;
        var a = Temp();
        if (instr.Op0Kind == OpKind.Register) { LoadReg(u.R0, s); _il.Emit(OpCodes.Stloc, a); }
        else
        {
            la = srcLa ?? EmitLinearAddress(ref u);
            EmitRead(la, s, a);
        }

        var r = Temp();
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, b);
        switch (m)
        {
            case Mnemonic.Add: _il.Emit(OpCodes.Add); break;
            case Mnemonic.Adc: _il.Emit(OpCodes.Add); EmitCarry(); _il.Emit(OpCodes.Conv_U8); _il.Emit(OpCodes.Add); break;
            case Mnemonic.Sub or Mnemonic.Cmp: _il.Emit(OpCodes.Sub); break;
            case Mnemonic.Sbb: _il.Emit(OpCodes.Sub); EmitCarry(); _il.Emit(OpCodes.Conv_U8); _il.Emit(OpCodes.Sub); break;
            case Mnemonic.And or Mnemonic.Test: _il.Emit(OpCodes.And); break;
            case Mnemonic.Or: _il.Emit(OpCodes.Or); break;
            default: _il.Emit(OpCodes.Xor); break;
        }
        _il.Emit(OpCodes.Stloc, r);
        if (writes)
        {
            if (la is null) StoreReg(u.R0, s, r);
            else EmitWrite(la, s, r);
        }
        switch (m)
        {
            case Mnemonic.Add or Mnemonic.Adc: SetFlags(FlagKind.Add, s, a, b, r); break;
            case Mnemonic.Sub or Mnemonic.Cmp or Mnemonic.Sbb: SetFlags(FlagKind.Sub, s, a, b, r, plainSub: m != Mnemonic.Sbb); break;
            default: SetFlags(FlagKind.Logic, s, null, null, r); break;
        }
        return true;
    }

    private static bool IsImmediate(OpKind k) => k is OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32 or OpKind.Immediate64
        or OpKind.Immediate8to16 or OpKind.Immediate8to32 or OpKind.Immediate8to64 or OpKind.Immediate32to64;

    private bool EmitAluUnary(ref Uop u, Mnemonic m)
    {
        var instr = u.Instr;
        if (instr.OpCount != 1) return false;
        int s = SizeOf(instr.Code);
        var a = ReadOperand(ref u, 0, s, out var la);
        var r = Temp();
        switch (m)
        {
            case Mnemonic.Inc: _il.Emit(OpCodes.Ldloc, a); Ldc(1L); _il.Emit(OpCodes.Add); break;
            case Mnemonic.Dec: _il.Emit(OpCodes.Ldloc, a); Ldc(1L); _il.Emit(OpCodes.Sub); break;
            case Mnemonic.Neg: Ldc(0L); _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Sub); break;
            default: _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Not); break;
        }
        _il.Emit(OpCodes.Stloc, r);
        if (la is null) StoreReg(u.R0, s, r);
        else EmitWrite(la, s, r);
        switch (m)
        {
            case Mnemonic.Inc or Mnemonic.Dec: SetFlagsIncDec(m == Mnemonic.Inc, s, a, r); break;
            case Mnemonic.Neg:
                var zero = Temp();
                Ldc(0L);
                _il.Emit(OpCodes.Stloc, zero);
                SetFlags(FlagKind.Sub, s, zero, a, r, plainSub: true);
                break;
        }
        return true;
    }

    // ---- moves -----------------------------------------------------------------------------------------

    private bool EmitMov(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.OpCount != 2 || !IsGprOperand(instr, 0) || !IsGprOperand(instr, 1)) return false;
        int s = SizeOf(instr.Code);
        var v = ReadOperand(ref u, 1, s, out _);
        if (instr.Op0Kind == OpKind.Register) StoreReg(u.R0, s, v);
        else EmitWrite(EmitLinearAddress(ref u), s, v);
        return true;
    }

    private bool EmitMovExtend(ref Uop u)
    {
        var instr = u.Instr;
        int d = SizeOf(instr.Code);
        int s = AluCodes.SizeIndex(instr.Code.ToOpCode().GetOpKind(1));
        if (s < 0 || instr.Op0Kind != OpKind.Register) return false;
        var v = ReadOperand(ref u, 1, s, out _);
        bool signed = instr.Mnemonic == Mnemonic.Movsx || (instr.Mnemonic == Mnemonic.Movsxd && d == 3);
        if (signed)
        {
            LoadSized(v, s, signed: true);
            _il.Emit(OpCodes.Stloc, v);
        }
        StoreReg(u.R0, d, v);
        return true;
    }

    private bool EmitLea(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.Op0Kind != OpKind.Register || instr.Op1Kind != OpKind.Memory) return false;
        var v = Temp();
        EmitEffectiveAddress(ref u);
        _il.Emit(OpCodes.Stloc, v);
        StoreReg(u.R0, SizeOf(instr.Code), v);
        return true;
    }

    private bool EmitXchg(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.Op0Kind != OpKind.Register || instr.Op1Kind != OpKind.Register) return false;
        int s = SizeOf(instr.Code);
        var a = Temp();
        var b = Temp();
        LoadReg(u.R1, s);
        _il.Emit(OpCodes.Stloc, b);
        LoadReg(u.R0, s);
        _il.Emit(OpCodes.Stloc, a);
        StoreReg(u.R0, s, b);
        StoreReg(u.R1, s, a);
        return true;
    }

    private bool EmitConvert(Mnemonic m)
    {
        var v = Temp();
        (int from, int to, int dst) = m switch
        {
            Mnemonic.Cbw => (0, 1, Reg.RAX),
            Mnemonic.Cwde => (1, 2, Reg.RAX),
            Mnemonic.Cdqe => (2, 3, Reg.RAX),
            Mnemonic.Cwd => (1, 1, Reg.RDX),
            Mnemonic.Cdq => (2, 2, Reg.RDX),
            _ => (3, 3, Reg.RDX),
        };
        LoadReg(Reg.RAX, from);
        _il.Emit(OpCodes.Stloc, v);
        LoadSized(v, from, signed: true);
        if (dst == Reg.RDX)
        {
            // CWD/CDQ/CQO: rDX ← the sign of rAX, repeated.
            _il.Emit(OpCodes.Ldc_I4, 63);
            _il.Emit(OpCodes.Shr);
        }
        _il.Emit(OpCodes.Stloc, v);
        StoreReg(dst, to, v);
        return true;
    }

    // ---- shifts and multiplies ----------------------------------------------------------------------------

    private bool EmitShift(ref Uop u, Mnemonic m)
    {
        var instr = u.Instr;
        if (instr.OpCount != 2 || !IsImmediate(instr.Op1Kind)) return false;
        int s = SizeOf(instr.Code);
        int bits = 8 << s;
        int count = (int)(u.Imm & 0xFF) & (bits == 64 ? 63 : 31);
        var a = ReadOperand(ref u, 0, s, out var la);
        if (count == 0)
        {
            // No flag and no memory changes; a 32-bit register is still written (zero-extended).
            if (la is null && s == 2) StoreReg(u.R0, 2, a);
            return true;
        }

        var r = Temp();
        var cf = Temp();
        var of = Temp();
        ulong mask = MaskOf(s);
        switch (m)
        {
            case Mnemonic.Shl or Mnemonic.Sal:
                _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Ldc_I4, count); _il.Emit(OpCodes.Shl); Ldc(mask); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Stloc, r);
                if (count <= bits) { _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Ldc_I4, bits - count); _il.Emit(OpCodes.Shr_Un); Ldc(1L); _il.Emit(OpCodes.And); }
                else Ldc(0L);
                _il.Emit(OpCodes.Stloc, cf);
                // OF = MSB(result) XOR CF
                _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.Ldc_I4, bits - 1); _il.Emit(OpCodes.Shr_Un); Ldc(1L); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Ldloc, cf); _il.Emit(OpCodes.Xor);
                _il.Emit(OpCodes.Stloc, of);
                break;
            case Mnemonic.Shr:
                _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Ldc_I4, count - 1); _il.Emit(OpCodes.Shr_Un); Ldc(1L); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Stloc, cf);
                _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Ldc_I4, bits - 1); _il.Emit(OpCodes.Shr_Un); Ldc(1L); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Stloc, of);
                _il.Emit(OpCodes.Ldloc, a); _il.Emit(OpCodes.Ldc_I4, count); _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Stloc, r);
                break;
            default: // SAR
                var sa = Temp();
                LoadSized(a, s, signed: true);
                _il.Emit(OpCodes.Stloc, sa);
                _il.Emit(OpCodes.Ldloc, sa); _il.Emit(OpCodes.Ldc_I4, count - 1); _il.Emit(OpCodes.Shr); Ldc(1L); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Stloc, cf);
                Ldc(0L);
                _il.Emit(OpCodes.Stloc, of);
                _il.Emit(OpCodes.Ldloc, sa); _il.Emit(OpCodes.Ldc_I4, count); _il.Emit(OpCodes.Shr); Ldc(mask); _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Stloc, r);
                break;
        }
        if (la is null) StoreReg(u.R0, s, r);
        else EmitWrite(la, s, r);
        SetFlagsExplicit(s, r, cf, of);
        return true;
    }

    private static readonly System.Reflection.MethodInfo BigMulMethod =
        typeof(Math).GetMethod(nameof(Math.BigMul), [typeof(long), typeof(long), typeof(long).MakeByRefType()])!;

    private static readonly System.Reflection.MethodInfo UnsignedBigMulMethod =
        typeof(Math).GetMethod(nameof(Math.BigMul), [typeof(ulong), typeof(ulong), typeof(ulong).MakeByRefType()])!;

    private LocalBuilder? _bigMulLow;

    // MUL r/m32 and r/m64 (EDX:EAX or RDX:RAX ← rAX × r/m, unsigned; CF = OF = upper half non-zero, SDM Vol. 2B MUL),
    // with the flags the interpreter's MultiplyDivide handlers leave (the product's low part as the result). Bignum code
    // (Linux's RSA signature check, mpihelp_addmul_1) runs it in its inner loops.
    private bool EmitMul(ref Uop u)
    {
        var instr = u.Instr;
        int s = SizeOf(instr.Code);
        if (instr.OpCount != 1 || s < 2) return false;
        var src = ReadOperand(ref u, 0, s, out _);
        var lo = Temp();
        var hi = Temp();
        var carry = Temp();
        if (s == 3)
        {
            _bigMulLow ??= _il.DeclareLocal(typeof(long));
            LoadReg(Reg.RAX, 3);
            _il.Emit(OpCodes.Ldloc, src);
            _il.Emit(OpCodes.Ldloca, _bigMulLow);
            _il.Emit(OpCodes.Call, UnsignedBigMulMethod);
            _il.Emit(OpCodes.Stloc, hi);
            _il.Emit(OpCodes.Ldloc, _bigMulLow);
            _il.Emit(OpCodes.Stloc, lo);
        }
        else
        {
            // The 64-bit product of two zero-extended 32-bit values; the interpreter passes all of it as the result.
            LoadReg(Reg.RAX, 2);
            _il.Emit(OpCodes.Ldloc, src);
            _il.Emit(OpCodes.Mul);
            _il.Emit(OpCodes.Stloc, lo);
            _il.Emit(OpCodes.Ldloc, lo);
            _il.Emit(OpCodes.Ldc_I4, 32);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Stloc, hi);
        }
        _il.Emit(OpCodes.Ldloc, hi);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Cgt_Un);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stloc, carry);
        StoreReg(Reg.RAX, s, lo);
        StoreReg(Reg.RDX, s, hi);
        SetFlagsExplicit(s, lo, carry, carry);
        return true;
    }

    private bool EmitImul(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.OpCount < 2 || instr.Op0Kind != OpKind.Register) return false;
        int s = SizeOf(instr.Code);
        if (s == 0) return false;
        var src = ReadOperand(ref u, 1, s, out _);
        var a = Temp();
        var b = Temp();
        if (instr.OpCount == 2)
        {
            LoadReg(u.R0, s);
            _il.Emit(OpCodes.Stloc, a);
            Copy(src, b);
        }
        else
        {
            Copy(src, a);
            Ldc(u.Imm);
            _il.Emit(OpCodes.Stloc, b);
        }
        var r = Temp();
        var ov = Temp();
        if (s == 3)
        {
            // hi:lo = a × b (signed); overflow when hi is not the sign extension of lo.
            _bigMulLow ??= _il.DeclareLocal(typeof(long));
            _il.Emit(OpCodes.Ldloc, a);
            _il.Emit(OpCodes.Ldloc, b);
            _il.Emit(OpCodes.Ldloca, _bigMulLow);
            _il.Emit(OpCodes.Call, BigMulMethod);
            _il.Emit(OpCodes.Ldloc, _bigMulLow);
            _il.Emit(OpCodes.Ldc_I4, 63);
            _il.Emit(OpCodes.Shr);
            _il.Emit(OpCodes.Ceq);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Xor);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Stloc, ov);
            _il.Emit(OpCodes.Ldloc, _bigMulLow);
            _il.Emit(OpCodes.Stloc, r);
        }
        else
        {
            // p = sext(a) × sext(b) fits in 64 bits; overflow when p is not the sign extension of its low part.
            LoadSized(a, s, signed: true);
            LoadSized(b, s, signed: true);
            _il.Emit(OpCodes.Mul);
            _il.Emit(OpCodes.Stloc, r);
            LoadSized(r, s, signed: true);
            _il.Emit(OpCodes.Ldloc, r);
            _il.Emit(OpCodes.Ceq);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Xor);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Stloc, ov);
        }
        StoreReg(u.R0, s, r);
        SetFlagsExplicit(s, r, ov, ov);
        return true;
    }

    // ---- conditional moves and sets ---------------------------------------------------------------------

    private bool EmitCmov(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.OpCount != 2 || instr.Op0Kind != OpKind.Register) return false;
        int s = SizeOf(instr.Code);
        int cc = (int)instr.Code.ConditionCode() - 1;
        var src = ReadOperand(ref u, 1, s, out _);
        var skip = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitCondition(cc);
        _il.Emit(OpCodes.Brfalse, skip);
        StoreReg(u.R0, s, src);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(skip);
        if (s == 2)
        {
            // The destination is written (zero-extended) even when the condition is false (SDM Vol. 2A CMOVcc).
            var cur = Temp();
            LoadReg(u.R0, 2);
            _il.Emit(OpCodes.Stloc, cur);
            StoreReg(u.R0, 2, cur);
        }
        _il.MarkLabel(done);
        return true;
    }

    private bool EmitSetcc(ref Uop u)
    {
        var instr = u.Instr;
        if (instr.OpCount != 1) return false;
        int cc = (int)instr.Code.ConditionCode() - 1;
        var v = Temp();
        EmitCondition(cc);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stloc, v);
        if (instr.Op0Kind == OpKind.Register) StoreReg(u.R0, 0, v);
        else EmitWrite(EmitLinearAddress(ref u), 0, v);
        return true;
    }
}

using System.Numerics;
using System.Reflection;
using System.Reflection.Emit;

namespace Smp.Devices.Cpu.Jit;

// Lazy flags in the translation. The interpreter records (kind, size, operands, result) of the last flag-setting
// instruction in CpuCore.LazyOp/LazySrc1/LazySrc2/LazyResult; the translation keeps the same record in IL locals and
// knows its kind at compile time, so a consumer (Jcc, SETcc, CMOVcc, ADC/SBB, INC/DEC's preserved CF) is compiled to the
// few operations its flags need, and a record nobody reads is dead code the .NET JIT drops (liveness within the region).
// Where the core may look (an exit, a handler, a TLB miss that may fault) the record is stored into the core's fields
// exactly as the interpreter's recorder would have stored it. At a node's entry the record is "dynamic": four canonical
// locals whose kind is known only at run time, loaded from the core at entry and after handlers, assigned on edges.
internal sealed partial class RegionCompiler
{
    private static readonly FieldInfo LazyOpField = typeof(CpuCore).GetField(nameof(CpuCore.LazyOp))!;
    private static readonly FieldInfo LazySrc1Field = typeof(CpuCore).GetField(nameof(CpuCore.LazySrc1))!;
    private static readonly FieldInfo LazySrc2Field = typeof(CpuCore).GetField(nameof(CpuCore.LazySrc2))!;
    private static readonly FieldInfo LazyResultField = typeof(CpuCore).GetField(nameof(CpuCore.LazyResult))!;
    private static readonly MethodInfo ConditionMethod = typeof(CpuCore).GetMethod(nameof(CpuCore.Condition))!;
    private static readonly MethodInfo GetCfMethod = typeof(CpuCore).GetMethod(nameof(CpuCore.GetCF))!;
    private static readonly MethodInfo PopCountMethod = typeof(BitOperations).GetMethod(nameof(BitOperations.PopCount), [typeof(uint)])!;

    /// <summary>The flag-setting kinds, as <see cref="FlagOp"/> groups them (FlagOp = kind × 4 + size).</summary>
    private enum FlagKind
    {
        Dynamic = 0,
        Add = 1,
        Sub = 2,
        Inc = 3,
        Dec = 4,
        Logic = 5,
        Explicit = 6,
    }

    /// <summary>What the translator knows about the flags at a point: the producing kind and the locals of its record.</summary>
    private sealed class FlagState
    {
        public static readonly FlagState Dynamic = new() { Kind = FlagKind.Dynamic };

        public FlagKind Kind { get; init; }

        public int Size { get; init; }

        /// <summary>Src1 (Add/Sub/Inc/Dec: first operand; Explicit: CF in bit 0).</summary>
        public LocalBuilder? A { get; init; }

        /// <summary>Src2 (Add/Sub: second operand; Inc/Dec: the preserved CF; Explicit: OF bit 0, AF bit 1).</summary>
        public LocalBuilder? B { get; init; }

        /// <summary>The result.</summary>
        public LocalBuilder? R { get; init; }

        /// <summary>True for SUB/CMP/NEG: no borrow in, so the ordered conditions compare the operands.</summary>
        public bool PlainSub { get; init; }

        public int OpValue => (int)Kind * 4 + Size;
    }

    private FlagState _flags = FlagState.Dynamic;
    private LocalBuilder _fop = null!, _fa = null!, _fb = null!, _fr = null!;

    // Records of successive producers alternate between these sets (a producer may read the previous record).
    private readonly LocalBuilder[][] _flagSets = new LocalBuilder[4][];
    private int _flagSet;

    private void DeclareFlagLocals()
    {
        _fop = _il.DeclareLocal(typeof(int));
        _fa = _il.DeclareLocal(typeof(ulong));
        _fb = _il.DeclareLocal(typeof(ulong));
        _fr = _il.DeclareLocal(typeof(ulong));
        for (int i = 0; i < _flagSets.Length; i++)
            _flagSets[i] = [_il.DeclareLocal(typeof(ulong)), _il.DeclareLocal(typeof(ulong)), _il.DeclareLocal(typeof(ulong))];
    }

    private LocalBuilder[] NextFlagSet() => _flagSets[_flagSet++ & (_flagSets.Length - 1)];

    // ---- moving the record between the core, the canonical locals and the producers' locals -------------------

    private void LoadCanonicalFlags()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, LazyOpField);
        _il.Emit(OpCodes.Stloc, _fop);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, LazySrc1Field);
        _il.Emit(OpCodes.Stloc, _fa);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, LazySrc2Field);
        _il.Emit(OpCodes.Stloc, _fb);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, LazyResultField);
        _il.Emit(OpCodes.Stloc, _fr);
    }

    /// <summary>Stores the record into the core's lazy-flag fields, as the interpreter's recorder would have.</summary>
    private void FlushFlags(FlagState f)
    {
        if (f.Kind == FlagKind.Dynamic)
        {
            StoreFlagField(LazyOpField, () => { _il.Emit(OpCodes.Ldloc, _fop); _il.Emit(OpCodes.Conv_U1); });
            StoreFlagField(LazySrc1Field, () => _il.Emit(OpCodes.Ldloc, _fa));
            StoreFlagField(LazySrc2Field, () => _il.Emit(OpCodes.Ldloc, _fb));
            StoreFlagField(LazyResultField, () => _il.Emit(OpCodes.Ldloc, _fr));
            return;
        }
        StoreFlagField(LazyOpField, () => _il.Emit(OpCodes.Ldc_I4, f.OpValue));
        if (f.Kind != FlagKind.Logic)
        {
            StoreFlagField(LazySrc1Field, () => _il.Emit(OpCodes.Ldloc, f.A!));
            StoreFlagField(LazySrc2Field, () => _il.Emit(OpCodes.Ldloc, f.B!));
        }
        StoreFlagField(LazyResultField, () => _il.Emit(OpCodes.Ldloc, f.R!));
    }

    private void StoreFlagField(FieldInfo field, Action value)
    {
        _il.Emit(OpCodes.Ldarg_1);
        value();
        _il.Emit(OpCodes.Stfld, field);
    }

    /// <summary>Moves a known record into the canonical locals (before an edge into a node).</summary>
    private void Canonicalize(FlagState f)
    {
        if (f.Kind == FlagKind.Dynamic) return;
        _il.Emit(OpCodes.Ldc_I4, f.OpValue);
        _il.Emit(OpCodes.Stloc, _fop);
        if (f.Kind != FlagKind.Logic)
        {
            _il.Emit(OpCodes.Ldloc, f.A!);
            _il.Emit(OpCodes.Stloc, _fa);
            _il.Emit(OpCodes.Ldloc, f.B!);
            _il.Emit(OpCodes.Stloc, _fb);
        }
        _il.Emit(OpCodes.Ldloc, f.R!);
        _il.Emit(OpCodes.Stloc, _fr);
    }

    // ---- producers ------------------------------------------------------------------------------------

    /// <summary>Records flags of <paramref name="kind"/> from the values in <paramref name="a"/>, <paramref name="b"/>, <paramref name="r"/> (copied into a fresh record).</summary>
    private void SetFlags(FlagKind kind, int size, LocalBuilder? a, LocalBuilder? b, LocalBuilder r, bool plainSub = false)
    {
        var set = NextFlagSet();
        if (a is not null) Copy(a, set[0]);
        if (b is not null) Copy(b, set[1]);
        Copy(r, set[2]);
        _flags = new FlagState { Kind = kind, Size = size, A = a is null ? null : set[0], B = b is null ? null : set[1], R = set[2], PlainSub = plainSub };
    }

    /// <summary>INC/DEC: the record keeps the current CF, read from the previous record.</summary>
    private void SetFlagsIncDec(bool inc, int size, LocalBuilder a, LocalBuilder r)
    {
        var cf = Temp();
        EmitCarry();
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stloc, cf);
        SetFlags(inc ? FlagKind.Inc : FlagKind.Dec, size, a, cf, r);
    }

    /// <summary>Shifts and multiplies: CF and OF given (0/1 in the locals), SF/ZF/PF from the result, AF 0.</summary>
    private void SetFlagsExplicit(int size, LocalBuilder r, LocalBuilder cf, LocalBuilder of) =>
        SetFlags(FlagKind.Explicit, size, cf, of, r);

    private void Copy(LocalBuilder from, LocalBuilder to)
    {
        _il.Emit(OpCodes.Ldloc, from);
        _il.Emit(OpCodes.Stloc, to);
    }

    // ---- consumers ------------------------------------------------------------------------------------

    /// <summary>Pushes CF (int32 0/1).</summary>
    private void EmitCarry()
    {
        var f = _flags;
        if (f.Kind == FlagKind.Dynamic)
        {
            FlushFlags(f);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Call, GetCfMethod);
            return;
        }
        EmitFlag(FlagBit.Cf, f);
    }

    /// <summary>Pushes condition <paramref name="cc"/> (Jcc encoding order) as int32 0/1.</summary>
    private void EmitCondition(int cc)
    {
        var f = _flags;
        if (f.Kind == FlagKind.Dynamic)
        {
            FlushFlags(f);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I4, cc);
            _il.Emit(OpCodes.Call, ConditionMethod);
            return;
        }

        bool negate = (cc & 1) != 0;
        if (f.Kind == FlagKind.Sub && f.PlainSub && (cc >> 1) is 1 or 3 or 6 or 7)
        {
            // After SUB/CMP the ordered conditions are compares of the operands.
            bool signed = (cc >> 1) >= 6;
            LoadSized(f.A!, f.Size, signed);
            LoadSized(f.B!, f.Size, signed);
            bool orEqual = (cc >> 1) is 3 or 7;
            if (!orEqual) _il.Emit(signed ? OpCodes.Clt : OpCodes.Clt_Un);
            else
            {
                // a <= b  ==  !(a > b)
                _il.Emit(signed ? OpCodes.Cgt : OpCodes.Cgt_Un);
                negate = !negate;
            }
            if (negate) Not01();
            return;
        }

        switch (cc >> 1)
        {
            case 0: EmitFlag(FlagBit.Of, f); break;
            case 1: EmitFlag(FlagBit.Cf, f); break;
            case 2: EmitFlag(FlagBit.Zf, f); break;
            case 3: EmitFlag(FlagBit.Cf, f); EmitFlag(FlagBit.Zf, f); _il.Emit(OpCodes.Or); break;
            case 4: EmitFlag(FlagBit.Sf, f); break;
            case 5: EmitFlag(FlagBit.Pf, f); break;
            case 6: EmitFlag(FlagBit.Sf, f); EmitFlag(FlagBit.Of, f); _il.Emit(OpCodes.Xor); break;
            default:
                EmitFlag(FlagBit.Zf, f);
                EmitFlag(FlagBit.Sf, f);
                EmitFlag(FlagBit.Of, f);
                _il.Emit(OpCodes.Xor);
                _il.Emit(OpCodes.Or);
                break;
        }
        if (negate) Not01();
    }

    private void Not01()
    {
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Xor);
    }

    private enum FlagBit { Cf, Zf, Sf, Of, Pf }

    /// <summary>Pushes one flag (int32 0/1) of a known record, by the formulas of <see cref="CpuCore"/>'s GetXF methods.</summary>
    private void EmitFlag(FlagBit bit, FlagState f)
    {
        int top = (8 << f.Size) - 1;
        switch (bit)
        {
            case FlagBit.Zf:
                _il.Emit(OpCodes.Ldloc, f.R!);
                Truncate(f.Size);
                Ldc(0L);
                _il.Emit(OpCodes.Ceq);
                return;
            case FlagBit.Sf:
                TopBit(() => _il.Emit(OpCodes.Ldloc, f.R!), top);
                return;
            case FlagBit.Pf:
                _il.Emit(OpCodes.Ldloc, f.R!);
                _il.Emit(OpCodes.Conv_U1);
                _il.Emit(OpCodes.Call, PopCountMethod);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.Xor);
                return;
        }

        var a = f.A;
        var b = f.B;
        var r = f.R!;
        switch (f.Kind, bit)
        {
            case (FlagKind.Add, FlagBit.Cf):
                // ((a & b) | ((a | b) & ~r)) at the top bit
                TopBit(() =>
                {
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.Or);
                    _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.Not); _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Or);
                }, top);
                return;
            case (FlagKind.Sub, FlagBit.Cf):
                if (f.PlainSub)
                {
                    LoadSized(a!, f.Size, false);
                    LoadSized(b!, f.Size, false);
                    _il.Emit(OpCodes.Clt_Un);
                    return;
                }
                // ((~a & b) | (~(a ^ b) & r)) at the top bit
                TopBit(() =>
                {
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Not); _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.Xor); _il.Emit(OpCodes.Not);
                    _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Or);
                }, top);
                return;
            case (FlagKind.Inc or FlagKind.Dec, FlagBit.Cf):
                _il.Emit(OpCodes.Ldloc, b!);
                _il.Emit(OpCodes.Conv_I4);
                return;
            case (FlagKind.Logic, FlagBit.Cf):
            case (FlagKind.Logic, FlagBit.Of):
                _il.Emit(OpCodes.Ldc_I4_0);
                return;
            case (FlagKind.Explicit, FlagBit.Cf):
                _il.Emit(OpCodes.Ldloc, a!);
                _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.And);
                return;
            case (FlagKind.Explicit, FlagBit.Of):
                _il.Emit(OpCodes.Ldloc, b!);
                _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.And);
                return;
            case (FlagKind.Add, FlagBit.Of):
                // ((a ^ r) & (b ^ r)) at the top bit
                TopBit(() =>
                {
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.And);
                }, top);
                return;
            case (FlagKind.Sub, FlagBit.Of):
                // ((a ^ b) & (a ^ r)) at the top bit
                TopBit(() =>
                {
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, b!); _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.Ldloc, a!); _il.Emit(OpCodes.Ldloc, r); _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.And);
                }, top);
                return;
            case (FlagKind.Inc, FlagBit.Of):
            case (FlagKind.Dec, FlagBit.Of):
                // INC overflows into the sign bit (result = 100…0), DEC out of it (result = 011…1).
                _il.Emit(OpCodes.Ldloc, r);
                Truncate(f.Size);
                Ldc(f.Kind == FlagKind.Inc ? 1UL << top : (1UL << top) - 1);
                _il.Emit(OpCodes.Ceq);
                return;
        }
        throw new InvalidOperationException($"no formula for {bit} after {f.Kind}");
    }

    // Pushes bit `top` of the ulong the action pushes, as int32 0/1.
    private void TopBit(Action value, int top)
    {
        value();
        _il.Emit(OpCodes.Ldc_I4, top);
        _il.Emit(OpCodes.Shr_Un);
        _il.Emit(OpCodes.Conv_I4);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.And);
    }

    /// <summary>Pushes a local truncated to <paramref name="size"/>, zero- or sign-extended to 64 bits.</summary>
    private void LoadSized(LocalBuilder v, int size, bool signed)
    {
        _il.Emit(OpCodes.Ldloc, v);
        if (!signed)
        {
            Truncate(size);
            return;
        }
        switch (size)
        {
            case 0: _il.Emit(OpCodes.Conv_I1); _il.Emit(OpCodes.Conv_I8); break;
            case 1: _il.Emit(OpCodes.Conv_I2); _il.Emit(OpCodes.Conv_I8); break;
            case 2: _il.Emit(OpCodes.Conv_I4); _il.Emit(OpCodes.Conv_I8); break;
        }
    }
}

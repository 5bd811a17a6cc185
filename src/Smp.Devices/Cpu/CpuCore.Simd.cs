using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Smp.Devices.Cpu.Fpu;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu;

// The SSE/MMX side of the extended state: the CR4 bits that enable it, the availability checks every
// SIMD instruction makes first, XMM and MMX register access, 128-bit memory access with the alignment
// rules, and the reporting of SIMD floating-point exceptions (SDM Vol. 1 §10.2, §11.5, §11.6; Vol. 3A §2.5).
public sealed partial class CpuCore
{
    /// <summary>CR4.OSFXSR: the OS supports FXSAVE/FXRSTOR; without it SSE instructions raise #UD and FXSAVE skips the XMM registers.</summary>
    public const ulong Cr4Osfxsr = 1UL << 9;
    /// <summary>CR4.OSXMMEXCPT: the OS handles #XM; without it an unmasked SIMD floating-point exception raises #UD.</summary>
    public const ulong Cr4Osxmmexcpt = 1UL << 10;
    /// <summary>CR4.OSXSAVE: XSAVE/XRSTOR/XGETBV/XSETBV are enabled and CPUID.01H:ECX.OSXSAVE reads 1.</summary>
    public const ulong Cr4Osxsave = 1UL << 18;

    // RESET values of the SSE state (SDM Vol. 3A Table 9-1); INIT leaves XMM, MXCSR and XCR0 unchanged.
    private void ResetSimdState()
    {
        Array.Clear(Xmm);
        Mxcsr = Simd.Mxcsr.Default;
        Xcr0 = 1;
    }

    // ---- availability ---------------------------------------------------------------------------

    /// <summary>
    /// The check every SSE…SSE4.2 instruction makes before anything else: #UD when CR0.EM = 1 or CR4.OSFXSR = 0,
    /// else #NM when CR0.TS = 1 (SDM Vol. 3A §2.5, §13.1; Vol. 2A §2.4 exception classes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SseCheck()
    {
        if ((Cr0 & (Cr0Em | Cr0Ts)) != 0 || (Cr4 & Cr4Osfxsr) == 0) SseUnavailable();
    }

    private void SseUnavailable()
    {
        if ((Cr0 & Cr0Em) != 0 || (Cr4 & Cr4Osfxsr) == 0) RaiseFault(Vector.UD);
        RaiseFault(Vector.NM);
    }

    /// <summary>
    /// The checks every instruction that touches an MMX register makes: #UD when CR0.EM = 1, #NM when CR0.TS = 1, then a
    /// pending unmasked x87 exception is taken as by a waiting x87 instruction (#MF, or FERR# and a freeze with
    /// CR0.NE = 0; SDM Vol. 1 §9.5.1, §9.6.7, and the MMX exception tables of Vol. 2). Returns false when the
    /// instruction must not execute (the processor froze on it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool MmxReady() => ((Cr0 & (Cr0Em | Cr0Ts)) == 0 && (Fsw & FswEs) == 0) || MmxCheckSlow();

    private bool MmxCheckSlow()
    {
        if ((Cr0 & Cr0Em) != 0) RaiseFault(Vector.UD);
        return FpuCheck(waiting: true);
    }

    /// <summary>
    /// The checks of an SSE instruction with an MMX register operand (MOVQ2DQ, CVTPI2PS from a register…): the SSE
    /// checks, then a pending x87 exception as for an MMX instruction. Returns false when the processor froze.
    /// </summary>
    internal bool SseMmxReady()
    {
        SseCheck();
        return (Fsw & FswEs) == 0 || FpuCheck(waiting: true);
    }

    private const ushort FswEs = 0x80;

    // ---- registers --------------------------------------------------------------------------------

    /// <summary>XMM register <paramref name="n"/> (0–15) as one 128-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref Vector128<byte> XmmRef(int n) =>
        ref Unsafe.As<ulong, Vector128<byte>>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Xmm), n * 2));

    /// <summary>Quadword <paramref name="half"/> (0 low, 1 high) of XMM register <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref ulong XmmQ(int n, int half) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Xmm), n * 2 + half);

    /// <summary>Doubleword <paramref name="index"/> (0–3) of XMM register <paramref name="n"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref uint XmmD(int n, int index) =>
        ref Unsafe.Add(ref Unsafe.As<ulong, uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Xmm), n * 2)), index);

    /// <summary>MMX register <paramref name="n"/>: the significand of x87 physical register Rn (SDM Vol. 1 §9.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong GetMm(int n) => FpuRegisters[n & 7].Significand;

    /// <summary>Writes MMX register <paramref name="n"/>: the significand of Rn, with its sign and exponent bits set to ones (SDM Vol. 1 §9.5.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetMm(int n, ulong v) => FpuRegisters[n & 7] = new Float80(v, 0xFFFF);

    /// <summary>
    /// The x87 side effect of every MMX instruction except EMMS: TOP = 0 and every tag valid (SDM Vol. 1 §9.5.1,
    /// Table 9-3). Called after the instruction's last possible fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterMmxState()
    {
        Fsw &= 0xC7FF;
        Ftw = 0;
    }

    // ---- memory ---------------------------------------------------------------------------------

    /// <summary>
    /// The linear address of a 16-byte memory operand: a legacy-SSE instruction that requires alignment raises
    /// #GP(0) when it is not 16-byte aligned (SDM Vol. 2A §2.4, Table 2-18 types 1, 2 and 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong SimdAddress16(ref Uop u, bool write, bool aligned)
    {
        ulong la = OperandAddress(ref u, 16, write);
        if (aligned && (la & 15) != 0) RaiseFault(Vector.GP, 0);
        return la;
    }

    /// <summary>
    /// The linear address of a 2-, 4- or 8-byte SIMD memory operand, with the alignment check: #AC(0) when CR0.AM = 1,
    /// RFLAGS.AC = 1, CPL = 3 and the access is not naturally aligned (SDM Vol. 2A §2.4, types 3, 4 and 5; Vol. 3A §6.15).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong SimdAddress(ref Uop u, int size, bool write)
    {
        ulong la = OperandAddress(ref u, size, write);
        if ((la & (ulong)(size - 1)) != 0 && AlignmentCheckEnabled) RaiseFault(Vector.AC, 0);
        return la;
    }

    private bool AlignmentCheckEnabled => (Cr0 & Cr0Am) != 0 && (RflagsBits & Rflags.AC) != 0 && Cpl == 3;

    /// <summary>Reads 16 bytes at a linear address (both halves are read before anything is used).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Vector128<byte> Read128(ulong la)
    {
        ulong lo = Read64(la);
        ulong hi = Read64(la + 8);
        return Vector128.Create(lo, hi).AsByte();
    }

    /// <summary>Writes 16 bytes at a linear address; a write that crosses a page checks the second page first, so a #PF writes nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Write128(ulong la, Vector128<byte> v)
    {
        if ((la & 0xFFF) > 0xFF0) Translate(la + 15, AccessKind.Write);
        var q = v.AsUInt64();
        Write64(la, q.GetElement(0));
        Write64(la + 8, q.GetElement(1));
    }

    /// <summary>The 128-bit source operand of a legacy-SSE instruction: XMM register R1, or memory (aligned when <paramref name="aligned"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Vector128<byte> XmmSource(ref Uop u, bool aligned = true) =>
        u.R1 != Reg.None ? XmmRef(u.R1) : Read128(SimdAddress16(ref u, false, aligned));

    /// <summary>The low <paramref name="size"/> bytes (4 or 8) of the source operand: XMM register R1 or memory (with the #AC rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong XmmScalarSource(ref Uop u, int size)
    {
        if (u.R1 != Reg.None) return size == 8 ? XmmQ(u.R1, 0) : XmmD(u.R1, 0);
        ulong la = SimdAddress(ref u, size, false);
        return size == 8 ? Read64(la) : Read32(la);
    }

    /// <summary>The 64-bit source operand of an MMX instruction: MMX register R1 or memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong MmSource(ref Uop u) => u.R1 != Reg.None ? GetMm(u.R1) : Read64(SimdAddress(ref u, 8, false));

    // ---- SIMD floating-point exceptions ------------------------------------------------------------

    /// <summary>
    /// Ends the computation of an SSE floating-point instruction (SDM Vol. 1 §11.5.3): when an exception it detected
    /// is unmasked, its flags go to MXCSR (only the pre-computation ones when one of those is unmasked) and #XM is
    /// raised, or #UD when CR4.OSXMMEXCPT = 0 (SDM Vol. 3A §6.15 interrupt 19); the instruction writes no result.
    /// Otherwise the flags are ORed into MXCSR and the caller writes its results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CommitSseFp(in SseFp env)
    {
        if (env.Flags != 0) CommitSseFpFlags(env.Flags);
    }

    private void CommitSseFpFlags(uint flags)
    {
        uint unmasked = flags & ~(Mxcsr >> Simd.Mxcsr.MaskShift) & Simd.Mxcsr.Flags;
        if (unmasked != 0)
        {
            uint pre = flags & Simd.Mxcsr.PreComputation;
            Mxcsr |= (pre & unmasked) != 0 ? pre : flags;
            RaiseFault((Cr4 & Cr4Osxmmexcpt) != 0 ? Vector.XM : Vector.UD);
        }
        Mxcsr |= flags;
    }

    /// <summary>Sets all six status flags at once (COMISS, PTEST, PCMPxSTRx): <paramref name="bits"/> holds those to set.</summary>
    internal void SetStatusFlags(ulong bits)
    {
        const ulong status = Rflags.CF | Rflags.PF | Rflags.AF | Rflags.ZF | Rflags.SF | Rflags.OF;
        LazyOp = FlagOp.None;
        RflagsBits = (RflagsBits & ~status) | bits;
    }

    // Snapshots keep the extended state in the FXSAVE64 layout (the selectors and XCR0 travel beside it).
    private byte[] SaveExtendedImage()
    {
        var image = new byte[FxsaveArea.Size];
        FxsaveArea.SaveX87(this, image, wide: true);
        FxsaveArea.SaveMxcsr(this, image);
        FxsaveArea.SaveXmm(this, image, 16);
        return image;
    }

    private void RestoreExtendedImage(byte[] image)
    {
        FxsaveArea.LoadX87(this, image, wide: true);
        Mxcsr = FxsaveArea.ReadMxcsr(image);
        FxsaveArea.LoadXmm(this, image, 16);
    }
}

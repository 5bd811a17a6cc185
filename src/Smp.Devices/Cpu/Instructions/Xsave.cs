using System.Buffers.Binary;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// The XSAVE feature set for state components 0 (x87) and 1 (SSE) (SDM Vol. 1 ch. 13; Vol. 2 XSAVE, XSAVEOPT, XSAVEC,
/// XRSTOR, XGETBV, XSETBV). Every form needs CR4.OSXSAVE (#UD), CR0.TS clear (#NM) and a 64-byte aligned area (#GP(0));
/// the requested-feature bitmap RFBM is XCR0 AND EDX:EAX. XINUSE is computed exactly from the state (a component is in
/// use unless it is in its initial configuration), which the SDM permits.
/// </summary>
internal static unsafe class Xsave
{
    private enum Form { Standard, Optimized, Compacted }

    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Xsave_mem, &XsaveNarrow);
        HandlerTable.Register(Code.Xsave64_mem, &XsaveWide);
        HandlerTable.Register(Code.Xsaveopt_mem, &XsaveoptNarrow);
        HandlerTable.Register(Code.Xsaveopt64_mem, &XsaveoptWide);
        HandlerTable.Register(Code.Xsavec_mem, &XsavecNarrow);
        HandlerTable.Register(Code.Xsavec64_mem, &XsavecWide);
        HandlerTable.Register(Code.Xrstor_mem, &XrstorNarrow, endsBlock: true);
        HandlerTable.Register(Code.Xrstor64_mem, &XrstorWide, endsBlock: true);
        HandlerTable.Register(Code.Xgetbv, &Xgetbv);
        HandlerTable.Register(Code.Xsetbv, &Xsetbv, endsBlock: true);
    }

    private static void XsaveNarrow(CpuCore c, ref Uop u) => Save(c, ref u, false, Form.Standard);
    private static void XsaveWide(CpuCore c, ref Uop u) => Save(c, ref u, true, Form.Standard);
    private static void XsaveoptNarrow(CpuCore c, ref Uop u) => Save(c, ref u, false, Form.Optimized);
    private static void XsaveoptWide(CpuCore c, ref Uop u) => Save(c, ref u, true, Form.Optimized);
    private static void XsavecNarrow(CpuCore c, ref Uop u) => Save(c, ref u, false, Form.Compacted);
    private static void XsavecWide(CpuCore c, ref Uop u) => Save(c, ref u, true, Form.Compacted);
    private static void XrstorNarrow(CpuCore c, ref Uop u) => Restore(c, ref u, false);
    private static void XrstorWide(CpuCore c, ref Uop u) => Restore(c, ref u, true);

    private static void RequireOsxsave(CpuCore c)
    {
        if ((c.Cr4 & CpuCore.Cr4Osxsave) == 0) c.RaiseFault(Vector.UD);
    }

    private static ulong AreaAddress(CpuCore c, ref Uop u, bool write)
    {
        RequireOsxsave(c);
        if ((c.Cr0 & CpuCore.Cr0Ts) != 0) c.RaiseFault(Vector.NM);
        ulong la = c.OperandAddress(ref u, XsaveLayout.AreaSize, write);
        if ((la & 63) != 0) c.RaiseFault(Vector.GP, 0);
        return la;
    }

    private static ulong Rfbm(CpuCore c) => c.Xcr0 & (((ulong)c.Get32(Reg.RDX) << 32) | c.Get32(Reg.RAX));

    private static int XmmCount(CpuCore c) => c.Is64 ? 16 : 8;

    /// <summary>XINUSE (SDM Vol. 1 §13.6): bit 0 unless the x87 state is initial, bit 1 unless the XMM registers are all zero.</summary>
    internal static ulong InUse(CpuCore c) =>
        (FxsaveArea.X87InUse(c) ? XsaveLayout.X87 : 0) | (FxsaveArea.SseInUse(c, XmmCount(c)) ? XsaveLayout.Sse : 0);

    // XSAVE saves every requested component and MXCSR with the SSE request, and sets XSTATE_BV[i] = XINUSE[i] for the
    // requested ones (§13.7). XSAVEOPT may skip components in their initial configuration (the init optimisation,
    // §13.9; MXCSR is still saved). XSAVEC writes only components in use, treating SSE as in use when MXCSR is not
    // 1F80H, saves MXCSR only with SSE, writes XSTATE_BV = RFBM AND XINUSE and XCOMP_BV = RFBM with bit 63 (§13.10).
    // No form writes other header bytes; x87 and SSE sit at their legacy offsets in both formats.
    private static void Save(CpuCore c, ref Uop u, bool wide, Form form)
    {
        ulong la = AreaAddress(c, ref u, true);
        ulong rfbm = Rfbm(c);
        ulong inUse = InUse(c);
        if (form == Form.Compacted && (rfbm & XsaveLayout.Sse) != 0 && c.Mxcsr != Simd.Mxcsr.Default) inUse |= XsaveLayout.Sse;
        ulong save = form == Form.Standard ? rfbm : rfbm & inUse;
        bool mxcsr = form == Form.Compacted ? (save & XsaveLayout.Sse) != 0 : (rfbm & XsaveLayout.Sse) != 0;
        ulong header = form == Form.Compacted
            ? rfbm & inUse
            : (c.Read64(la + XsaveLayout.HeaderOffset) & ~rfbm) | (rfbm & inUse);

        Span<byte> area = stackalloc byte[FxsaveArea.Size];
        FxsaveArea.SaveX87(c, area, wide);
        FxsaveArea.SaveMxcsr(c, area);
        FxsaveArea.SaveXmm(c, area, XmmCount(c));
        c.Translate(la + XsaveLayout.AreaSize - 1, AccessKind.Write);
        if ((save & XsaveLayout.X87) != 0)
        {
            FxsaveArea.Store(c, la, area, 0, FxsaveArea.MxcsrOffset);
            FxsaveArea.Store(c, la, area, FxsaveArea.StOffset, FxsaveArea.XmmOffset);
        }
        if (mxcsr) FxsaveArea.Store(c, la, area, FxsaveArea.MxcsrOffset, FxsaveArea.StOffset);
        if ((save & XsaveLayout.Sse) != 0) FxsaveArea.Store(c, la, area, FxsaveArea.XmmOffset, FxsaveArea.XmmOffset + 16 * XmmCount(c));
        c.Write64(la + XsaveLayout.HeaderOffset, header);
        if (form == Form.Compacted) c.Write64(la + XsaveLayout.HeaderOffset + 8, rfbm | XsaveLayout.Compacted);
    }

    // XRSTOR (§13.8): the header decides the form. Standard (XCOMP_BV[63] = 0): XSTATE_BV within XCR0 and header bytes
    // 8–23 zero; compacted: XCOMP_BV within XCR0, XSTATE_BV within XCOMP_BV and header bytes 16–63 zero; otherwise
    // #GP(0). Each requested component is loaded when its XSTATE_BV bit is set, else initialised. MXCSR is loaded
    // whenever SSE is requested in the standard form, only with SSE state in the compacted form (else it becomes
    // 1F80H); reserved MXCSR bits raise #GP(0). Nothing changes before every check has passed.
    private static void Restore(CpuCore c, ref Uop u, bool wide)
    {
        ulong la = AreaAddress(c, ref u, false);
        ulong rfbm = Rfbm(c);
        Span<byte> header = stackalloc byte[64];
        for (int o = 0; o < 64; o += 8) BinaryPrimitives.WriteUInt64LittleEndian(header[o..], c.Read64(la + XsaveLayout.HeaderOffset + (ulong)o));
        ulong xstateBv = BinaryPrimitives.ReadUInt64LittleEndian(header);
        ulong xcompBv = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        bool compacted = (xcompBv & XsaveLayout.Compacted) != 0;
        if (compacted)
        {
            ulong components = xcompBv & ~XsaveLayout.Compacted;
            if ((components & ~c.Xcr0) != 0 || (xstateBv & ~components) != 0 || !AllZero(header[16..])) c.RaiseFault(Vector.GP, 0);
        }
        else if ((xstateBv & ~c.Xcr0) != 0 || !AllZero(header[8..24])) c.RaiseFault(Vector.GP, 0);

        ulong load = rfbm & xstateBv;
        bool loadMxcsr = compacted ? (load & XsaveLayout.Sse) != 0 : (rfbm & XsaveLayout.Sse) != 0;
        Span<byte> area = stackalloc byte[FxsaveArea.Size];
        if ((load & XsaveLayout.X87) != 0)
        {
            FxsaveArea.Fetch(c, la, area, 0, FxsaveArea.MxcsrOffset);
            FxsaveArea.Fetch(c, la, area, FxsaveArea.StOffset, FxsaveArea.XmmOffset);
        }
        if (loadMxcsr) FxsaveArea.Fetch(c, la, area, FxsaveArea.MxcsrOffset, FxsaveArea.StOffset);
        if ((load & XsaveLayout.Sse) != 0) FxsaveArea.Fetch(c, la, area, FxsaveArea.XmmOffset, FxsaveArea.XmmOffset + 16 * XmmCount(c));
        uint mxcsr = loadMxcsr ? FxsaveArea.ReadMxcsr(area) : Simd.Mxcsr.Default;
        if ((mxcsr & ~Simd.Mxcsr.WritableMask) != 0) c.RaiseFault(Vector.GP, 0);

        if ((rfbm & XsaveLayout.X87) != 0)
        {
            if ((load & XsaveLayout.X87) != 0)
            {
                FxsaveArea.LoadX87(c, area, wide);
                c.FpuUpdateErrorSummary();
            }
            else FxsaveArea.InitX87(c);
        }
        if ((rfbm & XsaveLayout.Sse) != 0)
        {
            if ((load & XsaveLayout.Sse) != 0) FxsaveArea.LoadXmm(c, area, XmmCount(c));
            else Array.Clear(c.Xmm, 0, 2 * XmmCount(c));
            if (loadMxcsr || compacted) c.Mxcsr = mxcsr;
        }
    }

    private static bool AllZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    // XGETBV: XCR0 for ECX = 0, XCR0 AND XINUSE for ECX = 1; any other ECX is #GP(0). Allowed at any CPL.
    private static void Xgetbv(CpuCore c, ref Uop u)
    {
        RequireOsxsave(c);
        ulong value = c.Get32(Reg.RCX) switch
        {
            0 => c.Xcr0,
            1 => c.Xcr0 & InUse(c),
            _ => Fail(c),
        };
        c.Set32(Reg.RAX, (uint)value);
        c.Set32(Reg.RDX, (uint)(value >> 32));
    }

    private static ulong Fail(CpuCore c)
    {
        c.RaiseFault(Vector.GP, 0);
        return 0;
    }

    // XSETBV: CPL 0 only; ECX must be 0 (XCR0 is the only extended control register); XCR0 must keep bit 0 and set no
    // unsupported bit (SDM Vol. 2C XSETBV).
    private static void Xsetbv(CpuCore c, ref Uop u)
    {
        RequireOsxsave(c);
        ulong value = ((ulong)c.Get32(Reg.RDX) << 32) | c.Get32(Reg.RAX);
        if (c.Cpl != 0 || c.Get32(Reg.RCX) != 0 || (value & XsaveLayout.X87) == 0 || (value & ~XsaveLayout.Supported) != 0)
            c.RaiseFault(Vector.GP, 0);
        c.Xcr0 = value;
    }
}

namespace Smp.Devices.Cpu;

// LLDT and LTR (SDM Vol. 2A LLDT, LTR; Vol. 3A §7.2.4): system descriptors from the GDT, 16 bytes
// in IA-32e mode (base bits 63:32 in the second quadword, §7.2.3).
public sealed partial class CpuCore
{
    // In IA-32e mode the 16-byte descriptor supplies base bits 63:32, and a non-canonical base is
    // #GP(selector) before anything is loaded (as hardware executing LTR/LLDT natively does; kvm-unit-tests la57).
    private ulong SystemDescriptorBase(ulong la, ulong d, uint err)
    {
        ulong b = DescriptorCache(0, d).Base;
        if (!LongModeActive) return b;
        b |= (ReadLinear(la + 8, 8, AccessKind.System) & 0xFFFF_FFFFUL) << 32;
        if (!IsCanonical(b)) RaiseFault(Vector.GP, err);
        return b;
    }

    /// <summary>LLDT: loads LDTR from an LDT descriptor in the GDT; a null selector makes LDTR unusable.</summary>
    internal void LoadLdtr(ushort selector)
    {
        if ((selector & 0xFFFC) == 0)
        {
            Ldtr = new SegmentRegister { Selector = selector };
        }
        else
        {
            uint err = (uint)(selector & 0xFFFC);
            if ((selector & 4) != 0) RaiseFault(Vector.GP, err);
            ulong d = FetchDescriptor(selector, Vector.GP, 0, out ulong la);
            if ((d & (1UL << 44)) != 0 || ((d >> 40) & 0xF) != 2) RaiseFault(Vector.GP, err);
            if (!IsPresent(d)) RaiseFault(Vector.NP, err);
            var cache = DescriptorCache(selector, d);
            cache.Base = SystemDescriptorBase(la, d, err);
            Ldtr = cache;
        }
        Observer?.DescriptorTableLoaded(this, DescriptorTable.Ldt, Ldtr.Base, Ldtr.Limit, selector);
    }

    /// <summary>LTR: loads TR from an available TSS descriptor in the GDT and marks it busy.</summary>
    internal void LoadTr(ushort selector)
    {
        uint err = (uint)(selector & 0xFFFC);
        if (err == 0) RaiseFault(Vector.GP, 0);
        if ((selector & 4) != 0) RaiseFault(Vector.GP, err);
        ulong d = FetchDescriptor(selector, Vector.GP, 0, out ulong la);
        int type = (int)((d >> 40) & 0x1F);
        // Available TSS: 9 (32-bit / 64-bit); 1 (16-bit) outside IA-32e mode.
        if (!(type == 9 || (type == 1 && !LongModeActive))) RaiseFault(Vector.GP, err);
        if (!IsPresent(d)) RaiseFault(Vector.NP, err);
        ulong b = SystemDescriptorBase(la, d, err);
        WriteLinear(la + 5, 1, (byte)((d >> 40) | 2), AccessKind.System);
        var cache = DescriptorCache(selector, d | (2UL << 40));
        cache.Base = b;
        Tr = cache;
        Observer?.DescriptorTableLoaded(this, DescriptorTable.Tr, Tr.Base, Tr.Limit, selector);
    }
}

using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

// What a translation calls on a TLB miss. The miss path of ReadSlow and WriteSlow may raise a guest fault, and the
// fault's delivery needs the registers and the lazy flags that the translation keeps in locals; a miss that does not
// fault needs neither. So the fault is caught here and reported (in a flag: a local whose address
// an out parameter took would stay in memory for the whole method), and the translation makes the core exact and raises
// it again (RaiseFromTranslation): each miss site then stores only what a device may look at during the access
// (InstructionsRetired, the clock), and the register stores live once per region, in its fault tail.
public sealed partial class CpuCore
{
    // Set by the two methods below when the access faulted (the translation tests it after the call).
    private bool _missFaulted;

    // Never inlined: a try region inlined into a translation keeps all its locals in memory (the .NET JIT does not
    // enregister locals live into a handler), which halved the speed of translated loops.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal ulong ReadSlowForTranslation(ulong la, int size, AccessKind kind)
    {
        try
        {
            return ReadSlow(la, size, kind);
        }
        catch (CpuFault f) when (ReferenceEquals(f, _fault))
        {
            _missFaulted = true;
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WriteSlowForTranslation(ulong la, int size, ulong value, AccessKind kind)
    {
        try
        {
            WriteSlow(la, size, value, kind);
        }
        catch (CpuFault f) when (ReferenceEquals(f, _fault))
        {
            _missFaulted = true;
        }
    }

    /// <summary>
    /// Raises #<paramref name="vector"/>(0) for a translation, or, when <paramref name="vector"/> is negative, the fault a
    /// <see cref="ReadSlowForTranslation"/> or <see cref="WriteSlowForTranslation"/> reported (already recorded by <see cref="RaiseFault"/>).
    /// </summary>
    internal void RaiseFromTranslation(int vector)
    {
        if (vector >= 0) RaiseFault(vector);
        if (!_missFaulted) throw new InvalidOperationException("a translation re-raised a fault that no TLB miss reported");
        _missFaulted = false;
        throw _fault;
    }
}

using System.Runtime.CompilerServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// MOVS, STOS, LODS, CMPS, SCAS with REP/REPE/REPNE (SDM Vol. 1 §7.3.9, Vol. 2B REP). The source is
/// seg:rSI (segment override allowed), the destination ES:rDI; rSI/rDI/rCX are used and updated at the
/// address size; DF selects the direction.
/// </summary>
/// <remarks>
/// A repeated instruction runs its iterations in a loop inside the handler. Registers always describe the
/// iterations completed, so a fault in iteration k leaves rCX/rSI/rDI as after k − 1 iterations with RIP at
/// the instruction, and returning from the handler resumes it (SDM Vol. 2B REP: "the registers are saved ...
/// the instruction can be restarted"). At most <see cref="MaxIterations"/> iterations run per execution; then
/// the instruction re-executes itself (NextRip = Rip) after the loop has looked at events, as hardware may
/// recognise interrupts between iterations. In 64-bit mode, forward MOVS and STOS move whole runs of elements inside
/// one page at once when the TLB's fast path maps the pages (no fault, device, breakpoint or decoded code can be hit):
/// the same elements per execution, the same result (an overlapping forward copy stays element by element).
/// </remarks>
internal static unsafe class StringOps
{
    /// <summary>Iterations of a repeated string instruction per execution before pending events are looked at.</summary>
    internal const int MaxIterations = 4096;

    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Movsb_m8_m8, &Run<Movs, Size8>);
        HandlerTable.Register(Code.Movsw_m16_m16, &Run<Movs, Size16>);
        HandlerTable.Register(Code.Movsd_m32_m32, &Run<Movs, Size32>);
        HandlerTable.Register(Code.Movsq_m64_m64, &Run<Movs, Size64>);
        HandlerTable.Register(Code.Stosb_m8_AL, &Run<Stos, Size8>);
        HandlerTable.Register(Code.Stosw_m16_AX, &Run<Stos, Size16>);
        HandlerTable.Register(Code.Stosd_m32_EAX, &Run<Stos, Size32>);
        HandlerTable.Register(Code.Stosq_m64_RAX, &Run<Stos, Size64>);
        HandlerTable.Register(Code.Lodsb_AL_m8, &Run<Lods, Size8>);
        HandlerTable.Register(Code.Lodsw_AX_m16, &Run<Lods, Size16>);
        HandlerTable.Register(Code.Lodsd_EAX_m32, &Run<Lods, Size32>);
        HandlerTable.Register(Code.Lodsq_RAX_m64, &Run<Lods, Size64>);
        HandlerTable.Register(Code.Cmpsb_m8_m8, &Run<Cmps, Size8>);
        HandlerTable.Register(Code.Cmpsw_m16_m16, &Run<Cmps, Size16>);
        HandlerTable.Register(Code.Cmpsd_m32_m32, &Run<Cmps, Size32>);
        HandlerTable.Register(Code.Cmpsq_m64_m64, &Run<Cmps, Size64>);
        HandlerTable.Register(Code.Scasb_AL_m8, &Run<Scas, Size8>);
        HandlerTable.Register(Code.Scasw_AX_m16, &Run<Scas, Size16>);
        HandlerTable.Register(Code.Scasd_EAX_m32, &Run<Scas, Size32>);
        HandlerTable.Register(Code.Scasq_RAX_m64, &Run<Scas, Size64>);
    }

    /// <summary>The address-size mask of a string instruction, from Iced's string operand kinds (…SI/ESI/RSI, …DI/EDI/RDI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong AddressMask(ref Uop u)
    {
        var k = u.Instr.Op0Kind;
        if (k is OpKind.Register or OpKind.Immediate8) k = u.Instr.Op1Kind;
        return k switch
        {
            OpKind.MemorySegSI or OpKind.MemorySegDI or OpKind.MemoryESDI => 0xFFFFUL,
            OpKind.MemorySegESI or OpKind.MemorySegEDI or OpKind.MemoryESEDI => 0xFFFF_FFFFUL,
            _ => ulong.MaxValue,
        };
    }

    /// <summary>True for a REP (F3) or REPNE (F2) prefix, either of which repeats MOVS/STOS/LODS/INS/OUTS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Repeated(ref Uop u) => u.Instr.HasRepPrefix || u.Instr.HasRepnePrefix;

    /// <summary>The per-element step: +size, or −size when DF = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Step<T>(CpuCore c) where T : struct, IOperandSize =>
        (c.RflagsBits & Rflags.DF) != 0 ? (ulong)-T.Bytes : (ulong)T.Bytes;

    /// <summary>
    /// Leaves a repeated string instruction after a full batch with iterations still to do: RIP stays on it
    /// and the block ends so the loop can take events before it resumes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Yield(CpuCore c)
    {
        c.NextRip = c.Rip;
        c.RequestExit();
    }

    /// <summary>One element of a string instruction: which index registers it walks and what it does with them.</summary>
    internal interface IStringStep
    {
        /// <summary>Checks made once before the first element (the I/O permission of INS/OUTS); may raise a fault.</summary>
        static abstract void Prepare<T>(CpuCore c) where T : struct, IOperandSize;

        /// <summary>Whether rSI advances (a source at seg:rSI).</summary>
        static abstract bool UsesSi { get; }

        /// <summary>Whether rDI advances (a destination or operand at ES:rDI).</summary>
        static abstract bool UsesDi { get; }

        /// <summary>CMPS and SCAS: REPE stops when the elements differ, REPNE when they are equal.</summary>
        static abstract bool Compares { get; }

        /// <summary>Performs one element at the given offsets (no register but RAX and the flags changes); returns whether compared elements were equal.</summary>
        static abstract bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize;

        /// <summary>
        /// Performs up to <paramref name="max"/> consecutive forward elements at once when every one of them stays inside
        /// pages the TLB's fast path already maps (so none can fault or touch a device, a breakpoint or decoded code) and
        /// the result is the element-by-element one; returns how many it did (0: take the one-element path).
        /// </summary>
        static virtual long Bulk<T>(CpuCore c, int seg, ulong si, ulong di, long max) where T : struct, IOperandSize => 0;
    }

    // Elements of T.Bytes that fit from `la` to the end of its page.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ElementsInPage<T>(ulong la) where T : struct, IOperandSize => (long)((0x1000 - (la & 0xFFF)) / (ulong)T.Bytes);

    // The one loop behind every string instruction. Registers always describe the completed elements:
    // an element commits rSI/rDI/rCX only after its memory accesses succeeded, and the finally block
    // writes them back whether the loop ends, yields after a batch, or faults.
    internal static void Run<TStep, T>(CpuCore c, ref Uop u) where TStep : struct, IStringStep where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        int seg = u.Seg;
        ulong si = c.R[Reg.RSI] & am, di = c.R[Reg.RDI] & am;
        if (!Repeated(ref u))
        {
            TStep.Prepare<T>(c);
            TStep.Element<T>(c, seg, si, di);
            if (TStep.UsesSi) AddressSized.Set(c, Reg.RSI, si + step, am);
            if (TStep.UsesDi) AddressSized.Set(c, Reg.RDI, di + step, am);
            return;
        }

        bool repe = u.Instr.HasRepePrefix;
        ulong count = c.R[Reg.RCX] & am;
        if (count == 0) return;
        TStep.Prepare<T>(c);
        int budget = MaxIterations;
        // Runs of elements in one page at a time: 64-bit mode (no segment limits), 64-bit addressing (no wrap), DF = 0.
        bool bulk = c.Is64 && am == ulong.MaxValue && step == (ulong)T.Bytes;
        try
        {
            while (count != 0)
            {
                if (bulk && budget > 0)
                {
                    long done = TStep.Bulk<T>(c, seg, si, di, (long)Math.Min(count, (ulong)budget));
                    if (done > 0)
                    {
                        ulong bytes = (ulong)done * (ulong)T.Bytes;
                        if (TStep.UsesSi) si += bytes;
                        if (TStep.UsesDi) di += bytes;
                        count -= (ulong)done;
                        budget -= (int)done;
                        continue;
                    }
                }

                if (budget-- == 0) { Yield(c); return; }
                bool equal = TStep.Element<T>(c, seg, si, di);
                if (TStep.UsesSi) si = (si + step) & am;
                if (TStep.UsesDi) di = (di + step) & am;
                count--;
                if (TStep.Compares && equal != repe) break;
            }
        }
        finally
        {
            if (TStep.UsesSi) AddressSized.Set(c, Reg.RSI, si, am);
            if (TStep.UsesDi) AddressSized.Set(c, Reg.RDI, di, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }

    private struct Movs : IStringStep
    {
        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize { }
        public static bool UsesSi => true;
        public static bool UsesDi => true;
        public static bool Compares => false;

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
            return false;
        }

        public static long Bulk<T>(CpuCore c, int seg, ulong si, ulong di, long max) where T : struct, IOperandSize
        {
            ulong from = c.LinearAddress(seg, si, T.Bytes, false), to = c.LinearAddress(Seg.ES, di, T.Bytes, true);
            long n = Math.Min(max, Math.Min(ElementsInPage<T>(from), ElementsInPage<T>(to)));
            if (n <= 0) return 0;
            byte* source = c.FastPathHost(from, write: false), target = c.FastPathHost(to, write: true);
            if (source == null || target == null) return 0;
            long bytes = n * T.Bytes;
            // A forward copy onto a later, overlapping destination repeats the pattern element by element: not a memmove.
            if (target > source && target < source + bytes) return 0;
            Buffer.MemoryCopy(source, target, bytes, bytes);
            return n;
        }
    }

    private struct Stos : IStringStep
    {
        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize { }
        public static bool UsesSi => false;
        public static bool UsesDi => true;
        public static bool Compares => false;

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), T.Get(c, Reg.RAX));
            return false;
        }

        public static long Bulk<T>(CpuCore c, int seg, ulong si, ulong di, long max) where T : struct, IOperandSize
        {
            ulong to = c.LinearAddress(Seg.ES, di, T.Bytes, true);
            long n = Math.Min(max, ElementsInPage<T>(to));
            if (n <= 0) return 0;
            byte* target = c.FastPathHost(to, write: true);
            if (target == null) return 0;
            ulong value = T.Get(c, Reg.RAX);
            switch (T.Bytes)
            {
                case 1: new Span<byte>(target, (int)n).Fill((byte)value); break;
                case 2: new Span<ushort>(target, (int)n).Fill((ushort)value); break;
                case 4: new Span<uint>(target, (int)n).Fill((uint)value); break;
                default: new Span<ulong>(target, (int)n).Fill(value); break;
            }

            return n;
        }
    }

    private struct Lods : IStringStep
    {
        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize { }
        public static bool UsesSi => true;
        public static bool UsesDi => false;
        public static bool Compares => false;

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            T.Set(c, Reg.RAX, T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
            return false;
        }
    }

    // CMPS: flags of [seg:rSI] − [ES:rDI].
    private struct Cmps : IStringStep
    {
        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize { }
        public static bool UsesSi => true;
        public static bool UsesDi => true;
        public static bool Compares => true;

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            ulong a = T.Read(c, c.LinearAddress(seg, si, T.Bytes, false));
            ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
            c.SetFlagsSub(T.Index, a, b, a - b);
            return a == b;
        }
    }

    // SCAS: flags of the accumulator − [ES:rDI].
    private struct Scas : IStringStep
    {
        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize { }
        public static bool UsesSi => false;
        public static bool UsesDi => true;
        public static bool Compares => true;

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            ulong acc = T.Get(c, Reg.RAX);
            ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
            c.SetFlagsSub(T.Index, acc, b, acc - b);
            return acc == b;
        }
    }
}

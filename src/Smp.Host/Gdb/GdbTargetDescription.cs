using System.Xml.Linq;
using Smp.Devices.Cpu;

namespace Smp.Host.Gdb;

/// <summary>
/// The register set gdb is told about (GDB manual, "Target Descriptions", and its "i386 Features"): the x86-64 view
/// (the default, as QEMU's x86-64 machine has) or the i386 view that gdb's <c>i386</c> and <c>i8086</c> architectures
/// need for real- and protected-mode code. Both carry gdb's standard features (core with the x87 registers, sse; the
/// x86-64 view also segments with fs_base/gs_base) and one of ours with k_gs_base, CR0/2/3/4/8 and EFER (and in the i386
/// view fs_base/gs_base). Register numbers in <c>p</c>/<c>P</c>
/// packets and the order of the <c>g</c> packet are the order of <see cref="Registers"/>.
/// </summary>
internal sealed class GdbTargetDescription
{
    private GdbTargetDescription(string name, string architecture, IReadOnlyList<(string Feature, IReadOnlyList<GdbRegister> Registers)> features)
    {
        Name = name;
        Architecture = architecture;
        Registers = [.. features.SelectMany(f => f.Registers)];
        Xml = BuildXml(architecture, features);
    }

    /// <summary>The 64-bit view: RAX…R15, RIP, 16 XMM registers, 64-bit bases.</summary>
    public static GdbTargetDescription X86_64 { get; } = new("x86-64", "i386:x86-64",
    [
        ("org.gnu.gdb.i386.core", [.. Gprs64(), new("rip", 64, "code_ptr", GdbRegisterKind.Pc, 0), .. FlagsSegmentsX87()]),
        ("org.gnu.gdb.i386.sse", Sse(16)),
        ("org.gnu.gdb.i386.segments", [new("fs_base", 64, "int64", GdbRegisterKind.Base, 0), new("gs_base", 64, "int64", GdbRegisterKind.Base, 1)]),
        ("org.smp.x86.system", System()),
    ]);

    /// <summary>The 32-bit view gdb's i386 and i8086 architectures expect: EAX…EDI, EIP, 8 XMM registers.</summary>
    public static GdbTargetDescription I386 { get; } = new("i386", "i386",
    [
        ("org.gnu.gdb.i386.core", [.. Gprs32(), new("eip", 32, "code_ptr", GdbRegisterKind.Pc, 0), .. FlagsSegmentsX87()]),
        ("org.gnu.gdb.i386.sse", Sse(8)),
        // Not gdb's segments feature: gdb 13's i386 (non-Linux) architecture numbers its fs_base beyond its register
        // count and fails an assertion when it reads the description; here the bases are plain extra registers.
        ("org.smp.x86.system", [new("fs_base", 64, "int64", GdbRegisterKind.Base, 0), new("gs_base", 64, "int64", GdbRegisterKind.Base, 1), .. System()]),
    ]);

    /// <summary>The view's name for messages (<c>x86-64</c>, <c>i386</c>).</summary>
    public string Name { get; }

    /// <summary>The BFD architecture gdb selects for it.</summary>
    public string Architecture { get; }

    /// <summary>The registers in <c>g</c>-packet order; the index is the register number.</summary>
    public IReadOnlyList<GdbRegister> Registers { get; }

    /// <summary>The <c>target.xml</c> document.</summary>
    public string Xml { get; }

    /// <summary>Bytes of a whole <c>g</c> packet's data.</summary>
    public int GPacketBytes => Registers.Sum(r => r.Bytes);

    // gdb's amd64 order: rax rbx rcx rdx rsi rdi rbp rsp r8…r15 (CPU encoding numbers 0 3 1 2 6 7 5 4 8…15).
    private static IEnumerable<GdbRegister> Gprs64()
    {
        (string Name, int Reg)[] order = [("rax", Reg.RAX), ("rbx", Reg.RBX), ("rcx", Reg.RCX), ("rdx", Reg.RDX), ("rsi", Reg.RSI), ("rdi", Reg.RDI), ("rbp", Reg.RBP), ("rsp", Reg.RSP)];
        foreach (var (name, reg) in order) yield return new(name, 64, reg is Reg.RBP or Reg.RSP ? "data_ptr" : "int64", GdbRegisterKind.Gpr, reg);
        for (int r = 8; r < 16; r++) yield return new($"r{r}", 64, "int64", GdbRegisterKind.Gpr, r);
    }

    // gdb's i386 order is the encoding order: eax ecx edx ebx esp ebp esi edi.
    private static IEnumerable<GdbRegister> Gprs32()
    {
        string[] names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
        for (int r = 0; r < 8; r++) yield return new(names[r], 32, r is Reg.RBP or Reg.RSP ? "data_ptr" : "int32", GdbRegisterKind.Gpr, r);
    }

    private static IEnumerable<GdbRegister> FlagsSegmentsX87()
    {
        yield return new("eflags", 32, "i386_eflags", GdbRegisterKind.Flags, 0);
        (string Name, int Seg)[] segments = [("cs", Seg.CS), ("ss", Seg.SS), ("ds", Seg.DS), ("es", Seg.ES), ("fs", Seg.FS), ("gs", Seg.GS)];
        foreach (var (name, seg) in segments) yield return new(name, 32, "int32", GdbRegisterKind.Segment, seg);
        for (int i = 0; i < 8; i++) yield return new($"st{i}", 80, "i387_ext", GdbRegisterKind.St, i);
        string[] control = ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"];
        for (int i = 0; i < control.Length; i++) yield return new(control[i], 32, "int", GdbRegisterKind.FpuControl, i);
    }

    private static GdbRegister[] Sse(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new GdbRegister($"xmm{i}", 128, "vec128", GdbRegisterKind.Xmm, i)), new("mxcsr", 32, "i386_mxcsr", GdbRegisterKind.Mxcsr, 0)];

    private static GdbRegister[] System() =>
    [
        new("k_gs_base", 64, "int64", GdbRegisterKind.Base, 2),
        new("cr0", 64, "smp_cr0", GdbRegisterKind.System, 0),
        new("cr2", 64, "int64", GdbRegisterKind.System, 2),
        new("cr3", 64, "int64", GdbRegisterKind.System, 3),
        new("cr4", 64, "smp_cr4", GdbRegisterKind.System, 4),
        new("cr8", 64, "int64", GdbRegisterKind.System, 8),
        new("efer", 64, "smp_efer", GdbRegisterKind.System, 9),
    ];

    private static string BuildXml(string architecture, IReadOnlyList<(string Feature, IReadOnlyList<GdbRegister> Registers)> features)
    {
        var target = new XElement("target", new XAttribute("version", "1.0"), new XElement("architecture", architecture));
        int regnum = 0;
        foreach (var (name, registers) in features)
        {
            var feature = new XElement("feature", new XAttribute("name", name));
            feature.Add(TypesOf(name));
            foreach (var r in registers)
            {
                var reg = new XElement("reg", new XAttribute("name", r.Name), new XAttribute("bitsize", r.Bits), new XAttribute("type", r.Type),
                    new XAttribute("regnum", regnum++));
                if (r.Kind is GdbRegisterKind.St or GdbRegisterKind.FpuControl) reg.Add(new XAttribute("group", "float"));
                if (r.Kind is GdbRegisterKind.Xmm or GdbRegisterKind.Mxcsr) reg.Add(new XAttribute("group", "vector"));
                if (r.Kind is GdbRegisterKind.System || r.Index == 2 && r.Kind == GdbRegisterKind.Base) reg.Add(new XAttribute("group", "system"));
                feature.Add(reg);
            }

            target.Add(feature);
        }

        var document = new XDocument(new XDocumentType("target", null, "gdb-target.dtd", null), target);
        return "<?xml version=\"1.0\"?>\n" + document.ToString(SaveOptions.DisableFormatting);
    }

    // The flag and vector types the registers of a feature use (bit names from the SDM: Vol. 1 §3.4.3 EFLAGS, §10.2.3
    // MXCSR; Vol. 3A §2.5 CR0/CR4, §2.2.1 EFER).
    private static IEnumerable<XElement> TypesOf(string feature) => feature switch
    {
        "org.gnu.gdb.i386.core" => [Flags("i386_eflags", 4, ("CF", 0), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9),
            ("DF", 10), ("OF", 11), ("NT", 14), ("RF", 16), ("VM", 17), ("AC", 18), ("VIF", 19), ("VIP", 20), ("ID", 21))],
        "org.gnu.gdb.i386.sse" =>
        [
            Vector("v4f", "ieee_single", 4), Vector("v2d", "ieee_double", 2), Vector("v16i8", "int8", 16), Vector("v8i16", "int16", 8),
            Vector("v4i32", "int32", 4), Vector("v2i64", "int64", 2),
            new XElement("union", new XAttribute("id", "vec128"),
                Field("v4_float", "v4f"), Field("v2_double", "v2d"), Field("v16_int8", "v16i8"), Field("v8_int16", "v8i16"),
                Field("v4_int32", "v4i32"), Field("v2_int64", "v2i64"), Field("uint128", "uint128")),
            Flags("i386_mxcsr", 4, ("IE", 0), ("DE", 1), ("ZE", 2), ("OE", 3), ("UE", 4), ("PE", 5), ("DAZ", 6), ("IM", 7), ("DM", 8),
                ("ZM", 9), ("OM", 10), ("UM", 11), ("PM", 12), ("FZ", 15)),
        ],
        "org.smp.x86.system" =>
        [
            Flags("smp_cr0", 8, ("PE", 0), ("MP", 1), ("EM", 2), ("TS", 3), ("ET", 4), ("NE", 5), ("WP", 16), ("AM", 18), ("NW", 29), ("CD", 30), ("PG", 31)),
            Flags("smp_cr4", 8, ("VME", 0), ("PVI", 1), ("TSD", 2), ("DE", 3), ("PSE", 4), ("PAE", 5), ("MCE", 6), ("PGE", 7), ("PCE", 8),
                ("OSFXSR", 9), ("OSXMMEXCPT", 10), ("UMIP", 11), ("FSGSBASE", 16), ("PCIDE", 17), ("OSXSAVE", 18), ("SMEP", 20), ("SMAP", 21)),
            Flags("smp_efer", 8, ("SCE", 0), ("LME", 8), ("LMA", 10), ("NXE", 11)),
        ],
        _ => [],
    };

    private static XElement Flags(string id, int size, params (string Name, int Bit)[] fields) =>
        new("flags", new XAttribute("id", id), new XAttribute("size", size),
            fields.Select(f => new XElement("field", new XAttribute("name", f.Name), new XAttribute("start", f.Bit), new XAttribute("end", f.Bit))));

    private static XElement Vector(string id, string type, int count) =>
        new("vector", new XAttribute("id", id), new XAttribute("type", type), new XAttribute("count", count));

    private static XElement Field(string name, string type) => new("field", new XAttribute("name", name), new XAttribute("type", type));
}

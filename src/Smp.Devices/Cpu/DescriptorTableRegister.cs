namespace Smp.Devices.Cpu;

/// <summary>GDTR or IDTR: a linear base and a 16-bit limit (SDM Vol. 3A §2.4).</summary>
public struct DescriptorTableRegister
{
    /// <summary>Linear base address of the table.</summary>
    public ulong Base;

    /// <summary>Limit in bytes minus one.</summary>
    public ushort Limit;

    /// <inheritdoc />
    public override readonly string ToString() => $"base={Base:X} limit={Limit:X}";
}

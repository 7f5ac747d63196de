/// The cart as events left it: lines by SKU, total quantity and value, when it last changed.
public struct CartState: Sendable, Equatable {
    /// Most lines kept; adding to a full cart drops the oldest line.
    public static let maxLines = 100

    /// SKUs in the order first added.
    public var skus: [String] = []
    /// Quantity per line (same index as `skus`).
    public var quantities: [Double] = []
    /// Unit price per line (same index as `skus`).
    public var prices: [Double] = []
    /// When the cart last changed (seconds since the epoch); NaN: never.
    public var updatedAt: Double = .nan

    /// An empty cart.
    public init() {}

    public static func == (a: CartState, b: CartState) -> Bool {
        a.skus == b.skus && a.quantities == b.quantities && a.prices == b.prices && a.updatedAt.same(b.updatedAt)
    }

    /// Total quantity.
    public var items: Double { quantities.reduce(0, +) }
    /// Total value.
    public var value: Double { zip(quantities, prices).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Adds `quantity` of `sku` at `price`.
    public mutating func add(_ sku: String, quantity: Double, price: Double, at time: Double) {
        if let i = skus.firstIndex(of: sku) {
            quantities[i] += quantity
            prices[i] = price
        } else {
            if skus.count >= Self.maxLines {
                skus.removeFirst()
                quantities.removeFirst()
                prices.removeFirst()
            }
            skus.append(sku)
            quantities.append(quantity)
            prices.append(price)
        }
        updatedAt = time
    }

    /// Removes `quantity` of `sku` (all of it when `nil`).
    public mutating func remove(_ sku: String, quantity: Double?, at time: Double) {
        guard let i = skus.firstIndex(of: sku) else { return }
        let left = quantity.map { quantities[i] - $0 } ?? 0
        if left > 0 {
            quantities[i] = left
        } else {
            skus.remove(at: i)
            quantities.remove(at: i)
            prices.remove(at: i)
        }
        updatedAt = time
    }

    /// Empties the cart (after a purchase).
    public mutating func clear(at time: Double) {
        skus = []
        quantities = []
        prices = []
        updatedAt = time
    }
}

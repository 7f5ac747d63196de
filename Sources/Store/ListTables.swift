import LMDB
import Synchronization

/// This process's handles of the list segment tables, by list number.
///
/// Each list is its own LMDB database (`list.N`), created once and never dropped (deleting a list empties
/// it), so a handle stays valid for the process's life and a list number always means the same table. LMDB
/// lets one transaction at a time open handles, so opening goes through this one lock; readers keep their
/// own copy of the table (``ProfileReader``) and come here only for a number they have not seen.
final class ListTables: Sendable {
    private let handles = Mutex<[Int: Database]>([:])

    /// The handle of list `number`, opening it if it exists and is not open yet; `nil` when there is no such
    /// table.
    func handle(_ number: Int, environment: Environment) throws(LMDBError) -> Database? {
        let result: Result<Database?, LMDBError> = handles.withLock { table in
            if let db = table[number] { return .success(db) }
            do throws(LMDBError) {
                let db = try environment.openExistingDatabase(Self.tableName(number))
                if let db { table[number] = db }
                return .success(db)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The handle of list `number`, creating its (empty) table if needed.
    func create(_ number: Int, environment: Environment) throws(LMDBError) -> Database {
        let result: Result<Database, LMDBError> = handles.withLock { table in
            if let db = table[number] { return .success(db) }
            do throws(LMDBError) {
                let db = try environment.openDatabase(Self.tableName(number))
                table[number] = db
                return .success(db)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Every handle open now.
    var snapshot: [Int: Database] { handles.withLock { $0 } }

    static func tableName(_ number: Int) -> String { "list.\(number)" }
}

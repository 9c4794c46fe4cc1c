// The Node side of the app: the same query, the database and relay from the environment.
import { query } from "./query.js";

console.log(JSON.stringify(await query(process.env.DATABASE_URL, process.env.RELAY_URL)));

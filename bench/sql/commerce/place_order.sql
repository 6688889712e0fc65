-- POST /api/v1/orders as the server runs it: authentication, then one transaction. The
-- server sends the cart's ids as literal lists; here they come from sub-selects.
\set sid random(:smin, :smax)
SELECT u.id AS uid, u.email, u.is_active, u.group_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.id = :sid AND s.revoked_at IS NULL AND s.expires_at > 0 \gset
BEGIN;
SELECT id FROM users WHERE id = :uid FOR NO KEY UPDATE;
UPDATE orders SET status = 'expired', updated_at = 0 WHERE status = 'pending' AND expires_at <= 0 AND user_id = :uid;
SELECT movie_id FROM cart_items WHERE user_id = :uid ORDER BY added_at, movie_id;
SELECT id, name, price_cents FROM movies WHERE id IN (SELECT movie_id FROM cart_items WHERE user_id = :uid) FOR SHARE;
SELECT 0 AS kind, movie_id, 0 AS order_id FROM ownerships WHERE user_id = :uid AND movie_id IN (SELECT movie_id FROM cart_items WHERE user_id = :uid) UNION ALL SELECT 1, oi.movie_id, o.id FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.user_id = :uid AND o.status = 'pending' AND o.expires_at > 0 AND oi.movie_id IN (SELECT movie_id FROM cart_items WHERE user_id = :uid) UNION ALL SELECT 2, movie_id, 0 FROM cart_items WHERE user_id = :uid;
INSERT INTO orders (user_id, status, total_cents, created_at, updated_at, expires_at) VALUES (:uid, 'pending', 0, 0, 0, 1) RETURNING id AS oid \gset
INSERT INTO order_items (order_id, movie_id, title, price_cents) SELECT :oid, m.id, m.name, m.price_cents FROM movies m WHERE m.id IN (SELECT movie_id FROM cart_items WHERE user_id = :uid) RETURNING *;
DELETE FROM cart_items WHERE user_id = :uid;
COMMIT;

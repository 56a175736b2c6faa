-- The demo application's data, made when the shop-db volume is new: something to back up and restore.
create table customers (id serial primary key, name text not null, email text not null unique);
create table orders (
  id serial primary key,
  customer_id int not null references customers (id),
  item text not null,
  amount numeric(10, 2) not null,
  placed_at timestamptz not null default now()
);
insert into customers (name, email)
select 'Customer ' || n, 'customer' || n || '@example.com' from generate_series(1, 1000) as n;
insert into orders (customer_id, item, amount)
select 1 + n % 1000, 'Item ' || n % 37, (n % 500) + 0.99 from generate_series(1, 20000) as n;
